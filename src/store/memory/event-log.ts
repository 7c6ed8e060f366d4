/**
 * The in-memory store's log of one job. Every view of a job reads it: the SSE stream, the polled
 * JSON stream, `/status` and the aggregate. So they can never disagree.
 * @module
 */
import type { LogEvent, LogEventType } from '../job-state.ts'

/**
 * How many events are kept together once they are all in. A long stream keeps its whole log in
 * memory; kept as an object and a string per event, every event would be copied by the young
 * generation's garbage collector on its way to the old one, which costs about as much as producing
 * it. A batch is one joined string and one small array of offsets: cheap to copy, and the
 * per-event strings die young.
 */
const BATCH_SIZE = 256

/**
 * The JSON of consecutive events, joined: {@link BATCH_SIZE} of them, or fewer in the last batch
 * of an ended attempt (see {@link EventLog.seal}).
 */
interface Batch {
  readonly json: string
  /** Where each event's JSON ends in `json`. */
  readonly ends: readonly number[]
  /**
   * Each event's type, one character each ({@link TYPE_CODES}); absent when every one is an
   * output, the usual case. A string rather than an array: one small object instead of two.
   */
  readonly types: string | undefined
}

/** The open events of every sealed log: frozen, as nothing may be added to them. */
const NO_JSONS = Object.freeze([]) as unknown as string[]
const NO_TYPES = Object.freeze([]) as unknown as LogEventType[]

/** The character that stands for each event type in {@link Batch.types}. */
const TYPE_CODES: Record<LogEventType, string> = { output: 'o', progress: 'p', log: 'l', done: 'd' }
/** Event types by the character code of their {@link TYPE_CODES} character. */
const TYPE_OF_CODE: Record<number, LogEventType> = Object.fromEntries(
  Object.entries(TYPE_CODES).map(([type, code]) => [code.charCodeAt(0), type as LogEventType])
)

/**
 * An append-only list of events numbered from 1, with one-shot change listeners.
 *
 * A retry {@link EventLog.restart | restarts} the log without reusing numbers, so a reader holding
 * an id from the first attempt can never skip an event of the second.
 */
export class EventLog {
  /** The batches of this attempt, in order: full ones, and after a {@link EventLog.seal} a short last one. */
  #batches: Batch[] = []
  /** The JSON of the events after the last batch, one string each. */
  #open: string[] = []
  /** The types of the events in {@link EventLog.#open}. */
  #openTypes: LogEventType[] = []
  /** How many of the events in {@link EventLog.#open} are outputs. */
  #openOutputs = 0
  /** The number of events in this attempt. */
  #count = 0
  /** The seq of the event before the first of this attempt. */
  #base = 0
  /** Made when the first reader waits: most jobs are never waited on. */
  #listeners: Set<() => void> | undefined
  /** True from {@link EventLog.seal} to the next append: the open events are the shared empty ones. */
  #sealed = false

  /** A log, optionally holding the events of an attempt restored from storage. */
  constructor(restored?: { baseSeq: number; events: LogEvent[] }) {
    if (!restored) return
    this.#base = restored.baseSeq
    for (const event of restored.events) this.#push(event.type, event.json)
  }

  /** The seq of the last event, 0 when none was ever appended. */
  get lastSeq(): number {
    return this.#base + this.#count
  }

  /** The seq before the first event of the current attempt. */
  get baseSeq(): number {
    return this.#base
  }

  /** True once the current attempt's `done` event is in the log. */
  get done(): boolean {
    return this.#count > 0 && this.#typeAt(this.#count - 1) === 'done'
  }

  /** Appends an event and wakes every listener; returns its seq. */
  append(type: LogEventType, json: string): number {
    this.#push(type, json)
    this.#wake()
    return this.lastSeq
  }

  /** Appends `jsons[i]` as an event of type `types[i]`, each in order, and wakes every listener once. */
  appendAll(types: readonly LogEventType[], jsons: readonly string[]): void {
    for (let index = 0; index < jsons.length; index++) this.#push(types[index]!, jsons[index]!)
    this.#wake()
  }

  #wake(): void {
    if (!this.#listeners?.size) return
    const listeners = [...this.#listeners]
    this.#listeners.clear()
    for (const listener of listeners) listener()
  }

  /** The type of the event numbered `seq`, if it is in the current attempt; builds no event. */
  typeAt(seq: number): LogEventType | undefined {
    const index = seq - this.#base - 1
    return index >= 0 && index < this.#count ? this.#typeAt(index) : undefined
  }

  /** The JSON of the event numbered `seq`, which must be one that {@link EventLog.typeAt} finds. */
  jsonAt(seq: number): string {
    return this.#jsonAt(seq - this.#base - 1)
  }

  /**
   * Puts the events after `seq` (all of the current attempt when `seq` is before it) into `types`
   * and `jsons`, up to about `maxChars` of JSON (the event that reaches the bound is the last one
   * taken); answers the seq of the first.
   */
  readAfter(seq: number, maxChars: number, types: LogEventType[], jsons: string[]): number {
    const from = Math.max(0, seq - this.#base)
    let chars = 0
    for (let index = from; index < this.#count && chars < maxChars; index++) {
      const json = this.#jsonAt(index)
      types.push(this.#typeAt(index))
      jsons.push(json)
      chars += json.length
    }
    return this.#base + from + 1
  }

  /** Calls `listener` once, at the next append (once however often it is added). */
  onAppend(listener: () => void): void {
    ;(this.#listeners ??= new Set()).add(listener)
  }

  /**
   * Removes a listener before it was called, so a reader that goes away leaves nothing behind on
   * a quiet job; harmless for one that was called already.
   */
  offAppend(listener: () => void): void {
    this.#listeners?.delete(listener)
  }

  /** Starts a new attempt: the old events are dropped, numbering goes on. */
  restart(): void {
    this.#base = this.lastSeq
    this.#batches = []
    this.#open = []
    this.#openTypes = []
    this.#openOutputs = 0
    this.#count = 0
    this.#sealed = false
  }

  /**
   * Joins the open events into a batch however few they are: called when an attempt ends, whose
   * log is then kept as it is until the job is deleted. A short job's handful of strings (the
   * `done` event's among them, built in pieces) become one flat string, which the garbage
   * collector copies once instead of a dozen objects, for every job of the minute `/runsync`
   * results are kept. An event appended after it goes on from the same place.
   */
  seal(): void {
    if (this.#open.length > 0) this.#seal()
    // Two arrays fewer for each job kept: an ended log seldom takes another event.
    this.#open = NO_JSONS
    this.#openTypes = NO_TYPES
    this.#sealed = true
  }

  /** Stores one event; the open events are joined into a batch once there are a batch of them. */
  #push(type: LogEventType, json: string): void {
    if (this.#sealed) this.#reopen()
    this.#open.push(json)
    this.#openTypes.push(type)
    // Counted, not branched on: an optimised append would be thrown away at a job's first `done`.
    this.#openOutputs += type === 'output' ? 1 : 0
    this.#count++
    if (this.#open.length === BATCH_SIZE) this.#seal()
  }

  /** Turns the open events into a {@link Batch}. */
  #seal(): void {
    const open = this.#open
    // Arrays of their exact length (`map`, a literal): an array grown by `push` from empty keeps
    // room for 17, some 200 bytes over a short job's two, for each job of the kept minute.
    let end = 0
    const ends = open.map((json) => (end += json.length))
    const onlyOutputs = this.#openOutputs === open.length
    const types = onlyOutputs ? undefined : this.#openTypes.map((type) => TYPE_CODES[type]).join('')
    const batch: Batch = { json: open.join(''), ends, types }
    if (this.#batches.length === 0) this.#batches = [batch]
    else this.#batches.push(batch)
    this.#open = []
    this.#openTypes = []
    this.#openOutputs = 0
  }

  /**
   * Opens a log {@link EventLog.seal} sealed to take more events: the last batch, when seal made it
   * short, goes back into the open events, to go on filling it.
   */
  #reopen(): void {
    this.#sealed = false
    this.#open = []
    this.#openTypes = []
    if (this.#count % BATCH_SIZE === 0) return
    const first = this.#count - (this.#count % BATCH_SIZE)
    for (let index = first; index < this.#count; index++) {
      const type = this.#typeAt(index)
      this.#open.push(this.#jsonAt(index))
      this.#openTypes.push(type)
      this.#openOutputs += type === 'output' ? 1 : 0
    }
    this.#batches.pop()
  }

  /** The type of the event at `index` of this attempt (0-based). */
  #typeAt(index: number): LogEventType {
    const batch = this.#batches[Math.floor(index / BATCH_SIZE)]
    if (!batch) return this.#openTypes[index % BATCH_SIZE]!
    return batch.types === undefined ? 'output' : TYPE_OF_CODE[batch.types.charCodeAt(index % BATCH_SIZE)]!
  }

  /** The JSON of the event at `index` of this attempt (0-based): its own string, or cut from its batch. */
  #jsonAt(index: number): string {
    const batch = this.#batches[Math.floor(index / BATCH_SIZE)]
    const offset = index % BATCH_SIZE
    if (!batch) return this.#open[offset]!
    return batch.json.slice(offset === 0 ? 0 : batch.ends[offset - 1], batch.ends[offset])
  }
}

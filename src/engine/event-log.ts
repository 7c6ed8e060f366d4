/**
 * The one event log of a job. Every view of a job reads it: the SSE stream, the polled JSON
 * stream, `/status` and the aggregate. So they can never disagree.
 * @module
 */

/** The kinds of event in a job's log, which are also the SSE `event:` names. */
export type LogEventType = 'output' | 'progress' | 'done'

/** One entry of the log. `json` is the value already serialised, once, for every reader. */
export interface LogEvent {
  readonly seq: number
  readonly type: LogEventType
  readonly json: string
}

/**
 * An append-only list of events numbered from 1, with one-shot change listeners.
 *
 * A retry {@link EventLog.restart | restarts} the log without reusing numbers, so a reader holding
 * an id from the first attempt can never skip an event of the second.
 */
export class EventLog {
  #events: LogEvent[] = []
  /** The seq of the event before `#events[0]`. */
  #base = 0
  #listeners = new Set<() => void>()
  #bytes = 0
  /** Told of every appended event (a durable store writes them down). */
  observer: ((event: LogEvent) => void) | undefined

  /** A log, optionally holding the events of an attempt restored from storage. */
  constructor(restored?: { baseSeq: number; events: LogEvent[] }) {
    if (restored) {
      this.#base = restored.baseSeq
      this.#events = [...restored.events]
      for (const event of this.#events) this.#bytes += event.json.length
    }
  }

  /** The seq of the last event, 0 when none was ever appended. */
  get lastSeq(): number {
    return this.#base + this.#events.length
  }

  /** The seq before the first event of the current attempt. */
  get baseSeq(): number {
    return this.#base
  }

  /** The length of every event's JSON in this attempt, in UTF-16 units (a cheap size bound). */
  get jsonLength(): number {
    return this.#bytes
  }

  /** True once the current attempt's `done` event is in the log. */
  get done(): boolean {
    return this.#events.at(-1)?.type === 'done'
  }

  /** Appends an event and wakes every listener; returns its seq. */
  append(type: LogEventType, json: string): number {
    const seq = this.lastSeq + 1
    const event = { seq, type, json }
    this.#events.push(event)
    this.#bytes += json.length
    this.observer?.(event)
    if (this.#listeners.size > 0) {
      const listeners = [...this.#listeners]
      this.#listeners.clear()
      for (const listener of listeners) listener()
    }
    return seq
  }

  /** The event numbered `seq`, if it is in the current attempt. */
  at(seq: number): LogEvent | undefined {
    return this.#events[seq - this.#base - 1]
  }

  /** The events after `seq` (all of the current attempt when `seq` is before it). */
  after(seq: number): LogEvent[] {
    return this.#events.slice(Math.max(0, seq - this.#base))
  }

  /** The JSON of every `output` event of the current attempt, in order. */
  outputs(): string[] {
    const outputs: string[] = []
    for (const event of this.#events) if (event.type === 'output') outputs.push(event.json)
    return outputs
  }

  /**
   * Calls `listener` once, at the next append. Returns a function that removes it, so a reader
   * that goes away leaves nothing behind on a quiet job.
   */
  onAppend(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Starts a new attempt: the old events are dropped, numbering goes on. */
  restart(): void {
    this.#base = this.lastSeq
    this.#events = []
    this.#bytes = 0
  }
}

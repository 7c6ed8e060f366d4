/**
 * The rows a Durable Object keeps of its jobs: one row per job (its state without its input), the
 * input in chunks beside it, and its log packed into rows of many events. Writes gather until the
 * end of the current task (a 0 ms timer) and go out together, never one write per tiny yield; a
 * job's row and its new events go in one put. Nothing gathers longer: the store lets readers see
 * an event only once its put has been made, and the platform holds every answer sent after a put
 * until the put is on disk, so an event a reader has seen is never lost to a crash.
 * @module
 */
import type { JobState, LogEvent } from '../../store/job-state.ts'

/** The part of `DurableObjectStorage` edgepod uses. */
export interface DurableStorageLike {
  get<T = unknown>(key: string): Promise<T | undefined>
  put(entries: Record<string, unknown>): Promise<void>
  delete(keys: string[]): Promise<number>
  list<T = unknown>(options: { prefix: string }): Promise<Map<string, T>>
  getAlarm(): Promise<number | null>
  setAlarm(time: number): Promise<void>
  deleteAlarm(): Promise<void>
}

/** A job as stored: its state with the input left out, and its place among the jobs. */
export interface StoredJob {
  state: JobState
  /** Submission order, for FIFO among jobs queued in the same millisecond. */
  order: number
}

/** One stored row of a job's log: `[seq, type, json]` triples. */
type LogRow = Array<[number, LogEvent['type'], string]>

/**
 * Largest row of events, in characters of JSON text. Storage caps one value at 2 MB (SQLite-backed
 * objects); rows stay far below it so that a write is cheap. One event (at most `maxEventBytes`,
 * 1 MB by default) may make a row of its own.
 */
const MAX_ROW_CHARS = 100_000
/** Storage takes at most 128 keys per put. */
const MAX_KEYS_PER_PUT = 128

const jobKey = (id: string) => `job:${id}`
// A job's input is kept apart, in chunks, written once: a 10 MB input must not sit in the job row
// that every status change rewrites, nor pass the storage's limit for one value.
const inputKey = (id: string, part: number) => `input:${id}:${String(part).padStart(6, '0')}`
// Zero-padded so that listing returns a job's rows in seq order.
const rowKey = (id: string, firstSeq: number) => `log:${id}:${String(firstSeq).padStart(12, '0')}`

/** Writes jobs and their logs to a Durable Object's storage, in batches. */
export class DurableRows {
  readonly #storage: DurableStorageLike
  readonly #flushDelay: number
  #jobs = new Map<string, StoredJob>()
  #events = new Map<string, LogEvent[]>()
  #timer: ReturnType<typeof setTimeout> | undefined
  #scheduled = false
  #writes: Promise<void> = Promise.resolve()
  #inputsWritten = new Set<string>()
  readonly #onWritten: ((id: string, lastSeq: number) => void) | undefined

  /**
   * `flushDelay`: how long writes gather before they go out, ms (0: until the end of the task).
   * `onWritten` hears, for each job, the last seq of the events a put has just been made with.
   */
  constructor(storage: DurableStorageLike, flushDelay = 0, onWritten?: (id: string, lastSeq: number) => void) {
    this.#storage = storage
    this.#flushDelay = flushDelay
    this.#onWritten = onWritten
  }

  /** The job was created or changed. */
  saveJob(job: StoredJob): void {
    this.#jobs.set(job.state.id, job)
    this.#schedule()
  }

  /** Events were appended to the job's log. */
  saveEvents(id: string, events: readonly LogEvent[]): void {
    if (events.length === 0) return
    let pending = this.#events.get(id)
    if (!pending) this.#events.set(id, (pending = []))
    pending.push(...events)
    this.#schedule()
  }

  /** The job expired: forget it, its input and its log. */
  deleteJob(id: string): void {
    this.#jobs.delete(id)
    this.#events.delete(id)
    this.#inputsWritten.delete(id)
    this.#write(`deleting job ${id}`, async () => {
      const rows = [...(await this.#storage.list({ prefix: `log:${id}:` })).keys(), ...(await this.#storage.list({ prefix: `input:${id}:` })).keys()]
      const keys = [jobKey(id), ...rows]
      for (let i = 0; i < keys.length; i += MAX_KEYS_PER_PUT) await this.#storage.delete(keys.slice(i, i + MAX_KEYS_PER_PUT))
    })
  }

  /** Writes what is pending now; resolves when every write so far is stored. */
  flush(): Promise<void> {
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#scheduled = false
    const entries: Record<string, unknown> = {}
    for (const [id, { state, order }] of this.#jobs) {
      const { input, ...request } = state.request
      entries[jobKey(id)] = { state: { ...state, request }, order }
      if (this.#inputsWritten.has(id)) continue
      this.#inputsWritten.add(id)
      const json = JSON.stringify(input) ?? 'null'
      for (let part = 0; part * MAX_ROW_CHARS < json.length || part === 0; part++) {
        entries[inputKey(id, part)] = json.slice(part * MAX_ROW_CHARS, (part + 1) * MAX_ROW_CHARS)
      }
    }
    for (const [id, events] of this.#events) {
      let row: LogRow = []
      let chars = 0
      for (const event of events) {
        if (row.length > 0 && chars + event.json.length > MAX_ROW_CHARS) {
          entries[rowKey(id, row[0]![0])] = row
          row = []
          chars = 0
        }
        row.push([event.seq, event.type, event.json])
        chars += event.json.length + 16
      }
      if (row.length > 0) entries[rowKey(id, row[0]![0])] = row
    }
    const written = [...this.#events].map(([id, events]) => [id, events.at(-1)!.seq] as const)
    this.#jobs.clear()
    this.#events.clear()
    const keys = Object.keys(entries)
    if (keys.length === 0) return this.#writes
    // The puts are made now, in this turn: what readers are then shown is covered by them.
    const puts: Array<Promise<void>> = []
    for (let i = 0; i < keys.length; i += MAX_KEYS_PER_PUT) {
      puts.push(this.#storage.put(Object.fromEntries(keys.slice(i, i + MAX_KEYS_PER_PUT).map((key) => [key, entries[key]]))))
    }
    for (const [id, lastSeq] of written) this.#onWritten?.(id, lastSeq)
    return this.#write(`writing ${keys.length} rows`, () => Promise.all(puts).then(() => {}))
  }

  /** Reads every stored job, oldest first, with its input and the events of its current attempt. */
  async load(): Promise<Array<{ job: StoredJob; events: LogEvent[] }>> {
    const jobs = await this.#storage.list<StoredJob>({ prefix: 'job:' })
    const rows = await this.#storage.list<LogRow>({ prefix: 'log:' })
    const inputParts = await this.#storage.list<string>({ prefix: 'input:' })
    const inputs = new Map<string, string>()
    for (const [key, part] of inputParts) {
      const id = key.slice('input:'.length, key.lastIndexOf(':'))
      inputs.set(id, (inputs.get(id) ?? '') + part)
    }
    const events = new Map<string, LogEvent[]>()
    for (const [key, row] of rows) {
      const id = key.slice('log:'.length, key.lastIndexOf(':'))
      let list = events.get(id)
      if (!list) events.set(id, (list = []))
      for (const [seq, type, json] of row) list.push({ seq, type, json })
    }
    const loaded = [...jobs.values()].map(({ state, order }) => {
      this.#inputsWritten.add(state.id)
      const json = inputs.get(state.id)
      const request = { ...state.request, input: json === undefined ? null : JSON.parse(json) }
      const current = (events.get(state.id) ?? []).filter((event) => event.seq > state.attempt.baseSeq)
      return { job: { state: { ...state, request }, order }, events: current }
    })
    return loaded.sort((a, b) => a.job.state.attempt.queuedAt - b.job.state.attempt.queuedAt || a.job.order - b.job.order)
  }

  /**
   * Chains a write after the others. A write that fails is reported and the chain goes on: one
   * refused value must not stop every later job from being stored.
   */
  #write(what: string, write: () => Promise<void>): Promise<void> {
    this.#writes = this.#writes.then(write).catch((error: unknown) => {
      console.error(`edgepod: Durable Object storage failed ${what}:`, error)
    })
    return this.#writes
  }

  #schedule(): void {
    if (this.#scheduled) return
    this.#scheduled = true
    // A timer, even of 0 ms, runs after every microtask: a handler's yields of one turn (an async
    // generator yields on microtasks) share a row.
    this.#timer = setTimeout(() => void this.flush(), this.#flushDelay)
  }
}

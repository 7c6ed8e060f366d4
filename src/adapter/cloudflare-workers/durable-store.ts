/**
 * A job's record and log written to a Durable Object's storage. Events are packed into rows and
 * written in batches, never one write per tiny yield; a job's row and its new events go in one
 * atomic put.
 * @module
 */
import type { LogEvent } from '../../engine/event-log.ts'
import type { JobPersistence, JobSnapshot } from '../../engine/persistence.ts'

/** The part of `DurableObjectStorage` edgepod uses. */
export interface DurableStorageLike {
  put(entries: Record<string, unknown>): Promise<void>
  delete(keys: string[]): Promise<number>
  list<T = unknown>(options: { prefix: string }): Promise<Map<string, T>>
  getAlarm(): Promise<number | null>
  setAlarm(time: number): Promise<void>
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

/** Persistence of the engine's jobs in Durable Object storage. */
export class DurableJobStore implements JobPersistence {
  readonly #storage: DurableStorageLike
  readonly #flushDelay: number
  #jobs = new Map<string, JobSnapshot>()
  #events = new Map<string, LogEvent[]>()
  #timer: ReturnType<typeof setTimeout> | undefined
  #writes: Promise<void> = Promise.resolve()
  #inputsWritten = new Set<string>()

  /** `flushDelay`: how long events gather before one write, ms. */
  constructor(storage: DurableStorageLike, flushDelay = 50) {
    this.#storage = storage
    this.#flushDelay = flushDelay
  }

  saveJob(snapshot: JobSnapshot): void {
    this.#jobs.set(snapshot.id, snapshot)
    this.#schedule()
  }

  saveEvent(id: string, event: LogEvent): void {
    let pending = this.#events.get(id)
    if (!pending) this.#events.set(id, (pending = []))
    pending.push(event)
    this.#schedule()
  }

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

  /** Writes what is pending now; resolves when every write so far is stored. */
  flush(): Promise<void> {
    clearTimeout(this.#timer)
    this.#timer = undefined
    const entries: Record<string, unknown> = {}
    for (const [id, snapshot] of this.#jobs) {
      const { input, ...request } = snapshot.request
      entries[jobKey(id)] = { ...snapshot, request }
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
    this.#jobs.clear()
    this.#events.clear()
    const keys = Object.keys(entries)
    return this.#write(`writing ${keys.length} rows`, async () => {
      for (let i = 0; i < keys.length; i += MAX_KEYS_PER_PUT) {
        await this.#storage.put(Object.fromEntries(keys.slice(i, i + MAX_KEYS_PER_PUT).map((key) => [key, entries[key]])))
      }
    })
  }

  /** Reads every stored job and its events, for the engine to restore. */
  async load(): Promise<{ snapshots: JobSnapshot[]; eventsOf: (id: string) => LogEvent[] }> {
    const jobs = await this.#storage.list<JobSnapshot>({ prefix: 'job:' })
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
    const snapshots = [...jobs.values()].map((snapshot) => {
      this.#inputsWritten.add(snapshot.id)
      const json = inputs.get(snapshot.id)
      return { ...snapshot, request: { ...snapshot.request, input: json === undefined ? null : JSON.parse(json) } }
    })
    return { snapshots, eventsOf: (id) => events.get(id) ?? [] }
  }

  #schedule(): void {
    this.#timer ??= setTimeout(() => void this.flush(), this.#flushDelay)
  }
}

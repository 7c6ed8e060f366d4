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

/** Largest row, in characters of JSON text (storage values are capped at 128 KiB). */
const MAX_ROW_CHARS = 100_000
/** Storage takes at most 128 keys per put. */
const MAX_KEYS_PER_PUT = 128

const jobKey = (id: string) => `job:${id}`
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
    this.#writes = this.#writes.then(async () => {
      const rows = await this.#storage.list({ prefix: `log:${id}:` })
      const keys = [jobKey(id), ...rows.keys()]
      for (let i = 0; i < keys.length; i += MAX_KEYS_PER_PUT) await this.#storage.delete(keys.slice(i, i + MAX_KEYS_PER_PUT))
    })
  }

  /** Writes what is pending now; resolves when every write so far is stored. */
  flush(): Promise<void> {
    clearTimeout(this.#timer)
    this.#timer = undefined
    const entries: Record<string, unknown> = {}
    for (const [id, snapshot] of this.#jobs) entries[jobKey(id)] = snapshot
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
    this.#writes = this.#writes.then(async () => {
      for (let i = 0; i < keys.length; i += MAX_KEYS_PER_PUT) {
        await this.#storage.put(Object.fromEntries(keys.slice(i, i + MAX_KEYS_PER_PUT).map((key) => [key, entries[key]])))
      }
    })
    return this.#writes
  }

  /** Reads every stored job and its events, for the engine to restore. */
  async load(): Promise<{ snapshots: JobSnapshot[]; eventsOf: (id: string) => LogEvent[] }> {
    const jobs = await this.#storage.list<JobSnapshot>({ prefix: 'job:' })
    const rows = await this.#storage.list<LogRow>({ prefix: 'log:' })
    const events = new Map<string, LogEvent[]>()
    for (const [key, row] of rows) {
      const id = key.slice('log:'.length, key.lastIndexOf(':'))
      let list = events.get(id)
      if (!list) events.set(id, (list = []))
      for (const [seq, type, json] of row) list.push({ seq, type, json })
    }
    return { snapshots: [...jobs.values()], eventsOf: (id) => events.get(id) ?? [] }
  }

  #schedule(): void {
    this.#timer ??= setTimeout(() => void this.flush(), this.#flushDelay)
  }
}

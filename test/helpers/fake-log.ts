/**
 * A job log in a test's hands, for the SSE reader's byte-exact tests: events are appended and the
 * job ended when the test says, reads can answer at once or as promises, and it counts the
 * watchers it holds (a reader that leaves must hold none).
 * @module
 */
import { storeUnavailable } from '../../src/errors.ts'
import type { LogEvent, LogEventType } from '../../src/store/job-state.ts'
import type { LogRead } from '../../src/store/store.ts'
import type { JobLog } from '../../src/http/sse-reader/job-log.ts'

/** A {@link JobLog} driven by a test. */
export class FakeLog implements JobLog {
  readonly events: LogEvent[] = []
  /** Answer reads with promises, as a remote store does. */
  readonly async: boolean
  /** How many reads were made. */
  reads = 0
  /** Reads (as promises) fail with `store_unavailable`, as a store in an outage does. */
  unreachable = false
  #ended = false
  #gone = false
  readonly #watchers = new Map<() => void, number>()

  constructor(options: { async?: boolean } = {}) {
    this.async = options.async ?? false
  }

  /** The watchers the log holds now. */
  get watching(): number {
    return this.#watchers.size
  }

  get lastSeq(): number {
    return this.events.length
  }

  /** Appends an event, numbered after the last, and wakes the watchers it is news to. */
  append(type: LogEventType, json: string): this {
    this.events.push({ seq: this.lastSeq + 1, type, json })
    if (type === 'done') this.#ended = true
    this.#wake()
    return this
  }

  /** Appends `count` outputs `{"i":k}` from `from` on. */
  outputs(count: number, from = 0): this {
    for (let k = from; k < from + count; k++) this.append('output', `{"i":${k}}`)
    return this
  }

  /** Ends the attempt with its `done`. */
  end(status = 'COMPLETED'): this {
    return this.append('done', `{"status":"${status}"}`)
  }

  /** The job is deleted: reads answer undefined. */
  delete(): void {
    this.#gone = true
    this.#wake()
  }

  read(after: number, maxChars: number): LogRead | undefined | Promise<LogRead | undefined> {
    this.reads++
    if (this.async && this.unreachable) return Promise.reject(storeUnavailable('the job store is unavailable'))
    const answer = this.#read(after, maxChars)
    return this.async ? Promise.resolve(answer) : answer
  }

  watch(after: number, wake: () => void): void {
    if (this.#gone || this.#ended || this.lastSeq > after) wake()
    else this.#watchers.set(wake, after)
  }

  unwatch(wake: () => void): void {
    this.#watchers.delete(wake)
  }

  #read(after: number, maxChars: number): LogRead | undefined {
    if (this.#gone) return undefined
    const types: LogEventType[] = []
    const jsons: string[] = []
    let chars = 0
    for (const event of this.events) {
      if (event.seq <= after || chars >= maxChars) continue
      types.push(event.type)
      jsons.push(event.json)
      chars += event.json.length
    }
    return { first: after + 1, types, jsons, lastSeq: this.lastSeq, ended: this.#ended }
  }

  #wake(): void {
    for (const [wake, after] of [...this.#watchers]) {
      if (!this.#gone && !this.#ended && this.lastSeq <= after) continue
      this.#watchers.delete(wake)
      wake()
    }
  }
}

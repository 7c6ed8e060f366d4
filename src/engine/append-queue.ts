/**
 * The path of one attempt's events to its store: appends go out one at a time, in order, and what
 * the handler produces while one is on its way goes out together in the next. A store that answers
 * at once (in memory) gets each event as it comes, with nothing allocated for it; a remote store
 * gets batches that grow with its round trip.
 * @module
 */
import { logFailure } from '../errors.ts'
import type { AttemptWriter } from '../store/store.ts'
import type { EventBatch, LogEventType } from '../store/job-state.ts'

/** The kinds of event an attempt appends itself; `done` is written when it ends. */
type AppendedType = Exclude<LogEventType, 'done'>

/**
 * How many events may wait behind an append on its way before the handler is made to wait: a
 * handler faster than its store must not pile up its whole stream in memory.
 */
const MAX_WAITING = 4096

/**
 * The one-event batch of every queue, reused: a store takes what it needs of a batch before its
 * append returns, so one object serves every append of one event, of every job.
 */
const one: { types: AppendedType[]; jsons: string[] } = { types: ['output'], jsons: [''] }

/** Events waiting behind an append on its way. */
interface Waiting {
  types: AppendedType[]
  jsons: string[]
}

/** Appends an attempt's events through its writer, one batch in flight at a time. */
export class AppendQueue {
  readonly #writer: AttemptWriter
  readonly #onLost: () => void
  /** Events produced while an append is on its way; made when the first one waits. */
  #waiting: Waiting | undefined
  #inFlight: Promise<void> | undefined
  #lost = false

  /** `onLost` is called once, when the store refuses an append: the lease is gone. */
  constructor(writer: AttemptWriter, onLost: () => void) {
    this.#writer = writer
    this.#onLost = onLost
  }

  /** False once the store has refused an append: nothing more goes out. */
  get holds(): boolean {
    return !this.#lost
  }

  /** Appends one event, now or with the next batch; false when the lease is known to be lost. */
  push(type: AppendedType, json: string): boolean {
    if (this.#lost) return false
    if (this.#inFlight) {
      const waiting = (this.#waiting ??= { types: [], jsons: [] })
      waiting.types.push(type)
      waiting.jsons.push(json)
      return true
    }
    one.types[0] = type
    one.jsons[0] = json
    return this.#send(one)
  }

  /**
   * Settles when every event pushed so far is in the store (or refused); undefined when nothing
   * is on its way, so that a caller with a store that answers at once need not wait.
   */
  drained(): Promise<void> | undefined {
    return this.#inFlight
  }

  /** True when so many events wait behind the append on its way that the producer should wait too. */
  get crowded(): boolean {
    return this.#inFlight !== undefined && (this.#waiting?.jsons.length ?? 0) >= MAX_WAITING
  }

  #send(batch: EventBatch): boolean {
    const result = this.#writer.append(batch)
    if (result === true) return true
    if (result === false) {
      this.#lose()
      return false
    }
    this.#inFlight = Promise.resolve(result).then(
      (appended) => this.#landed(appended),
      (error: unknown) => {
        // A store that fails an append has lost the attempt's lease as far as we can know.
        logFailure('the store failed an append', error)
        this.#landed(false)
      }
    )
    return true
  }

  /** The append on its way landed: send what waited behind it, or stop for good. */
  #landed(appended: boolean): void | Promise<void> {
    this.#inFlight = undefined
    if (!appended) return this.#lose()
    const batch = this.#waiting
    if (!batch) return
    this.#waiting = undefined
    if (this.#send(batch)) return this.#inFlight
  }

  #lose(): void {
    if (this.#lost) return
    this.#lost = true
    this.#waiting = undefined
    this.#onLost()
  }
}

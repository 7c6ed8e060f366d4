/**
 * An SSE stream's keep-alive: a `: ping` is due after `keepAlive` ms without a byte sent. One timer
 * per stream, not one per wait: a token stream waits once per event, and each wait's timer and
 * listeners outlived a young-generation collection, to pile up as garbage.
 * @module
 */
import { cancelTimer, startTimer } from '../../engine/timers.ts'

/** Tracks the quiet of one stream and says when a ping is due. */
export class KeepAlive {
  readonly #interval: number
  #lastSentAt = Date.now()
  #due = false
  #timer: unknown
  #wake: (() => void) | undefined
  /** The timer's callback, bound once: a stream re-arms its timer at every interval. */
  readonly #onTimer: () => void

  /** Starts counting quiet now; `interval` in ms. */
  constructor(interval: number) {
    this.#interval = interval
    this.#onTimer = this.#check.bind(this)
    this.#timer = startTimer(this.#onTimer, interval)
  }

  /** True when the stream has been quiet for the interval: send a ping. */
  get due(): boolean {
    return this.#due
  }

  /** Something was sent: the quiet starts again. */
  sent(): void {
    this.#lastSentAt = Date.now()
    this.#due = false
  }

  /** Calls `wake` (once) when a ping falls due while the stream waits; undefined stops it. */
  onDue(wake: (() => void) | undefined): void {
    this.#wake = wake
  }

  /** The stream ended: no more timer. */
  stop(): void {
    cancelTimer(this.#timer)
    this.#wake = undefined
  }

  #check(): void {
    const quiet = Date.now() - this.#lastSentAt
    if (quiet >= this.#interval) {
      this.#due = true
      this.#wake?.()
    }
    this.#timer = startTimer(this.#onTimer, quiet >= this.#interval ? this.#interval : this.#interval - quiet)
  }
}

/**
 * One SSE stream's watch of its job's log: the same callbacks for every wait, so that a reader
 * waiting once per event (a token stream) makes no closure a wait, and holds no listener on the
 * log between waits.
 * @module
 */
import type { JobLog } from './job-log.ts'

/** Watches one log for news after a cursor, one wait at a time. */
export class NewsWatch {
  /** True once the log had news since the watch began. */
  news = false
  /** True once the stream has ended: no wait lasts past it. */
  closed = false
  readonly #log: JobLog
  #wait: (() => void) | undefined
  // Bound once, not closures per wait; and bound rather than arrow fields, which a transpiler
  // keeping function names would give a property table each.
  readonly #onNews: () => void
  /** Ends the wait under way, if any, whatever the news: a ping falling due. */
  readonly wake: () => void

  constructor(log: JobLog) {
    this.#log = log
    this.#onNews = this.#heard.bind(this)
    this.wake = this.#settle.bind(this)
  }

  /** The stream ended: the wait under way ends. */
  close(): void {
    this.closed = true
    this.#settle()
  }

  /** Watches for an event after `cursor` (news at once if there is one already). */
  begin(cursor: number): void {
    this.news = false
    this.#log.watch(cursor, this.#onNews)
  }

  /** Settles at the news, or at {@link NewsWatch.wake}. */
  next(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#wait = resolve
      if (this.news || this.closed) resolve()
    })
  }

  /** Stops watching: the log holds nothing of this stream any more. */
  end(): void {
    this.#wait = undefined
    this.#log.unwatch(this.#onNews)
  }

  #heard(): void {
    this.news = true
    this.#settle()
  }

  #settle(): void {
    this.#wait?.()
  }
}

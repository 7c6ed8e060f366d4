/**
 * The listeners of one kind of news a Redis member hears (work queued, a cancel, a webhook to
 * send): added and removed by the engine, told in turn, each told only if it listened when the
 * news came.
 * @module
 */

/** Listeners of one kind of news, told with `A`. */
export class Listeners<A extends unknown[] = []> {
  readonly #listeners = new Set<(...args: A) => void>()

  /** Adds `listener`; returns the function that removes it. */
  add(listener: (...args: A) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Tells every listener there is now; one added meanwhile hears the next news only. */
  tell(...args: A): void {
    for (const listener of [...this.#listeners]) listener(...args)
  }
}

/**
 * How many jobs may run at once: a fixed number, or RunPod's `concurrencyModifier`, called with
 * the current value whenever jobs are taken. One class for the engine's scheduler and for a
 * deployment's coordinator (Cloudflare), which hold the same limit in different places.
 * @module
 */
import type { Concurrency } from './scheduler.ts'

/** The concurrency limit of a worker, as its config gives it. */
export class ConcurrencyLimit {
  readonly #modifier: Concurrency
  #current: number

  constructor(concurrency: Concurrency) {
    this.#modifier = concurrency
    this.#current = typeof concurrency === 'number' ? concurrency : 1
  }

  /** True when a modifier function gives the limit, to be asked again on RunPod's cadence. */
  get modifies(): boolean {
    return typeof this.#modifier === 'function'
  }

  /** The limit as last asked, without asking the modifier again. */
  get current(): number {
    return this.#current
  }

  /** Asks the modifier (if any) and answers the limit now. */
  now(): number {
    const modifier = this.#modifier
    let wanted: number
    try {
      wanted = typeof modifier === 'number' ? modifier : modifier(this.#current)
    } catch (error) {
      // A broken modifier must not stop the queue: keep the concurrency we had.
      console.error('edgepod: concurrencyModifier threw; keeping concurrency', this.#current, error)
      return this.#current
    }
    if (Number.isInteger(wanted) && wanted >= 1) this.#current = wanted
    else if (wanted === Infinity) this.#current = Infinity
    return this.#current
  }
}

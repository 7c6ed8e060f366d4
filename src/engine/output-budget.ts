/**
 * An attempt's outputs against `maxResultBytes`: exact in UTF-8 bytes, yet measured only near the
 * limit. Walking every output character by character costs a good part of what serialising it did,
 * and UTF-8 takes at most 3 bytes per UTF-16 unit: while that bound fits, the exact size cannot be
 * over.
 * @module
 */
import { isPromiseLike } from '../awaitable.ts'
import type { Awaitable } from '../awaitable.ts'
import { utf8Length } from '../utf8-length.ts'

/** The most UTF-8 bytes one UTF-16 unit can take (a surrogate pair is 4 bytes for 2 units). */
export const MAX_UTF8_PER_UNIT = 3

/**
 * The UTF-8 size of one event's JSON when it is over `maxEventBytes`, else undefined. Measured only
 * when the bound of {@link MAX_UTF8_PER_UNIT} bytes per unit could be over the limit.
 */
export function bytesOverEventLimit(json: string, maxEventBytes: number): number | undefined {
  if (MAX_UTF8_PER_UNIT * json.length <= maxEventBytes) return undefined
  const bytes = utf8Length(json)
  return bytes > maxEventBytes ? bytes : undefined
}

/** Where the outputs already appended are measured (an attempt's writer, or what stands for it). */
export interface MeasuredLog {
  /** The UTF-8 bytes of the outputs from the `index`th on (0-based), each with one separator byte. */
  outputBytesFrom(index: number): Awaitable<number>
}

/**
 * The running size of one attempt's outputs, each counted with a separator byte (the size of the
 * array aggregate). The outputs let through on the bound are measured, once the bound no longer
 * fits, by reading them back from the log.
 */
export class OutputBudget {
  readonly #maxResultBytes: number
  /** The exact size of the outputs measured so far. */
  #measured = 0
  /** How many outputs were admitted. */
  #admitted = 0
  /** The index of the first output let through unmeasured; -1 when there is none. */
  #unmeasuredFrom = -1
  /** UTF-16 units of the outputs let through unmeasured. */
  #unmeasuredUnits = 0
  /** How many outputs were let through unmeasured (each adds a separator byte). */
  #unmeasuredCount = 0

  /** The budget of one attempt. */
  constructor(maxResultBytes: number) {
    this.#maxResultBytes = maxResultBytes
  }

  /**
   * Counts one more output, whose JSON is about to be appended to the log. False, counting nothing,
   * when it would take the outputs over the limit. `log.outputBytesFrom(index)` gives the exact size
   * of the outputs already in the log from the `index`th on; it is asked only near the limit.
   */
  admit(json: string, log: MeasuredLog): boolean | Promise<boolean> {
    const units = this.#unmeasuredUnits + json.length
    if (this.#measured + MAX_UTF8_PER_UNIT * units + this.#unmeasuredCount + 1 <= this.#maxResultBytes) {
      if (this.#unmeasuredFrom < 0) this.#unmeasuredFrom = this.#admitted
      this.#unmeasuredUnits = units
      this.#unmeasuredCount++
      this.#admitted++
      return true
    }
    if (this.#unmeasuredFrom < 0) return this.#admitMeasured(json)
    const backlog = log.outputBytesFrom(this.#unmeasuredFrom)
    if (isPromiseLike(backlog)) return Promise.resolve(backlog).then((bytes) => this.#admitAfter(bytes, json))
    return this.#admitAfter(backlog, json)
  }

  /** Folds the measured backlog in, then admits `json` by its exact size. */
  #admitAfter(backlog: number, json: string): boolean {
    this.#measured += backlog
    this.#unmeasuredFrom = -1
    this.#unmeasuredUnits = 0
    this.#unmeasuredCount = 0
    return this.#admitMeasured(json)
  }

  #admitMeasured(json: string): boolean {
    const bytes = utf8Length(json) + 1
    if (this.#measured + bytes > this.#maxResultBytes) return false
    this.#measured += bytes
    this.#admitted++
    return true
  }
}

/**
 * A job's outputs against `maxResultBytes`: exact in UTF-8 bytes, yet measured only near the limit.
 * Walking every output character by character costs a good part of what serialising it did, and
 * UTF-8 takes at most 3 bytes per UTF-16 unit: while that bound fits, the exact size cannot be over.
 * @module
 */
import type { JobRecord } from './job-record.ts'
import { utf8Length } from './utf8-length.ts'

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

/**
 * The running size of one execution's outputs. `record.outputBytes` holds the outputs measured so
 * far; the ones let through on the bound are measured from the log once the bound no longer fits.
 */
export class OutputBudget {
  readonly #record: JobRecord
  readonly #maxResultBytes: number
  /** The seq of the first output let through unmeasured; 0 when there is none. */
  #unmeasuredFrom = 0
  /** UTF-16 units of the outputs let through unmeasured. */
  #unmeasuredUnits = 0
  /** How many outputs were let through unmeasured (each adds a separator byte). */
  #unmeasuredCount = 0

  /** The budget of `record`'s current attempt. */
  constructor(record: JobRecord, maxResultBytes: number) {
    this.#record = record
    this.#maxResultBytes = maxResultBytes
  }

  /**
   * Counts one more output, whose JSON is about to be appended to the log. False, counting
   * nothing, when it would take the outputs over the limit.
   */
  admit(json: string): boolean {
    const record = this.#record
    const units = this.#unmeasuredUnits + json.length
    if (record.outputBytes + MAX_UTF8_PER_UNIT * units + this.#unmeasuredCount + 1 <= this.#maxResultBytes) {
      if (this.#unmeasuredFrom === 0) this.#unmeasuredFrom = record.log.lastSeq + 1
      this.#unmeasuredUnits = units
      this.#unmeasuredCount++
      return true
    }
    this.#measureBacklog()
    const bytes = utf8Length(json) + 1
    if (record.outputBytes + bytes > this.#maxResultBytes) return false
    record.outputBytes += bytes
    return true
  }

  /** Folds the outputs let through unmeasured into `record.outputBytes`, measured. */
  #measureBacklog(): void {
    if (this.#unmeasuredFrom === 0) return
    const { log } = this.#record
    for (let seq = this.#unmeasuredFrom; seq <= log.lastSeq; seq++) {
      if (log.typeAt(seq) === 'output') this.#record.outputBytes += utf8Length(log.jsonAt(seq)) + 1
    }
    this.#unmeasuredFrom = 0
    this.#unmeasuredUnits = 0
    this.#unmeasuredCount = 0
  }
}

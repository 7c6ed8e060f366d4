/**
 * RunPod's convention for failing without throwing: a returned or yielded object with an `error`
 * key. Kept identical so handlers port line for line.
 * @module
 */
import { messageOf } from '../errors.ts'

/** A plain handler's return value split the way RunPod's worker splits it. */
export interface SplitResult {
  /** The error message when the value carried a truthy `error`. */
  error: string | undefined
  /** What becomes the job's output; absent when nothing is left. */
  output: { value: unknown } | undefined
  /** True when the value carried a truthy `refresh_worker`: the process restarts after the job. */
  refresh?: true
}

/** Python's truthiness, as RunPod's worker tests `error`: empty lists and dicts are falsy too. */
function isTruthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0
  if (isPlainObject(value)) return Object.keys(value).length > 0
  return Boolean(value)
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/**
 * Splits a returned value: from a plain object, `error` and `refresh_worker` are taken out; a truthy
 * `error` fails the job, a truthy `refresh_worker` restarts the process after it, and the remaining
 * keys (if any) are its output. Other values are the output.
 */
export function splitReturnedValue(value: unknown): SplitResult {
  if (value === undefined) return { error: undefined, output: undefined }
  if (!isPlainObject(value) || (!('error' in value) && !('refresh_worker' in value))) {
    return { error: undefined, output: { value } }
  }
  const { error, refresh_worker: refresh, ...rest } = value
  const hasRest = Object.keys(rest).length > 0
  return {
    error: isTruthy(error) ? messageOf(error) : undefined,
    output: hasRest ? { value: rest } : undefined,
    ...(isTruthy(refresh) ? { refresh: true } : {}),
  }
}

/** The error message of a yielded `{error: ...}` object, which ends the job `FAILED`. */
export function errorOfYield(value: unknown): string | undefined {
  // Asked of every output: most have no `error` key at all, and `in` answers that without the
  // prototype lookup isPlainObject needs (which V8 does in its runtime, not inline).
  if (typeof value !== 'object' || value === null || !('error' in value)) return undefined
  if (!isPlainObject(value) || !isTruthy(value['error'])) return undefined
  return messageOf(value['error'])
}

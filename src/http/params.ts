/**
 * Parsing of the small values a request carries in its query and headers. A malformed value is a
 * 400 `invalid_input` that names it, never a silent default.
 * @module
 */
import { WorkerError } from '../errors.ts'

/** A non-negative whole number from a query or header value; `fallback` when absent or empty. */
export function parseCount(raw: string | null | undefined, name: string, fallback: number): number {
  if (raw === null || raw === undefined || raw.trim() === '') return fallback
  if (!/^\s*\d{1,15}\s*$/.test(raw)) {
    throw new WorkerError('invalid_input', `${name} must be a non-negative whole number, got ${JSON.stringify(raw.slice(0, 40))}`)
  }
  return Number(raw)
}

/** `?wait=` in ms: the default when absent, clamped to `max` (as RunPod clamps it). */
export function parseWait(raw: string | null | undefined, fallback: number, max: number): number {
  return Math.min(parseCount(raw, 'wait', fallback), max)
}

/**
 * A yes-or-no query value such as `?logs=1`: `1` or `true` is yes; absent, empty, `0` or `false`
 * is no; anything else is refused, so that `?logs=yes` is not silently a no.
 */
export function parseFlag(raw: string | null | undefined, name: string): boolean {
  const value = raw?.trim().toLowerCase()
  if (value === '1' || value === 'true') return true
  if (value === undefined || value === '' || value === '0' || value === 'false') return false
  throw new WorkerError('invalid_input', `${name} must be 1, true, 0 or false, got ${JSON.stringify(raw!.slice(0, 40))}`)
}

/** True when the `Accept` header names `text/event-stream` (and does not give it `q=0`). */
export function acceptsEventStream(accept: string | null): boolean {
  if (!accept) return false
  for (const range of accept.split(',')) {
    const [type, ...params] = range.split(';')
    if (type?.trim().toLowerCase() !== 'text/event-stream') continue
    // Parameter names are case-insensitive (RFC 9110): `Q=0` refuses too.
    const q = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('q='))
    return q === undefined || Number(q.slice(2)) > 0
  }
  return false
}

/**
 * When to try again: exponential backoff with jitter for reconnects, which answers are worth
 * another try, and a sleep that an abort cuts short.
 * @module
 */
import type { StreamRetryOptions } from './types.ts'

/** Resolved reconnection settings. */
export interface Backoff {
  attempts: number
  initialDelay: number
  maxDelay: number
}

/** Checks and fills in {@link StreamRetryOptions}; a bad value throws a RangeError at once. */
export function resolveBackoff(options: StreamRetryOptions | undefined): Backoff {
  const attempts = options?.attempts ?? 8
  const initialDelay = options?.initialDelay ?? 100
  const maxDelay = options?.maxDelay ?? 5_000
  if (!Number.isInteger(attempts) || attempts < 0) throw new RangeError(`retry.attempts must be a whole number >= 0, got ${attempts}`)
  for (const [name, value] of [['initialDelay', initialDelay], ['maxDelay', maxDelay]] as const) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`retry.${name} must be a number of ms >= 0, got ${value}`)
  }
  return { attempts, initialDelay, maxDelay: Math.max(initialDelay, maxDelay) }
}

/**
 * The delay before reconnect number `attempt` (1-based): `initialDelay` doubling up to `maxDelay`,
 * then "equal jitter" (between half and all of it), so that many clients cut by the same outage
 * do not come back in one burst, and none comes back at once in a tight loop.
 */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.maxDelay, backoff.initialDelay * 2 ** Math.min(attempt - 1, 30))
  return ceiling / 2 + (random() * ceiling) / 2
}

/**
 * True for answers that say "not now" rather than "no": a proxy or server restarting (502, 503,
 * 504), a timeout (408) or a rate limit (429). Everything else is the server's final word.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status === 502 || status === 503 || status === 504
}

/** `Retry-After` in ms when it is a number of seconds (the form rate limiters send), else undefined. */
export function retryAfterMs(response: Response): number | undefined {
  const raw = response.headers.get('retry-after')
  if (raw === null || !/^\s*\d+\s*$/.test(raw)) return undefined
  return Number(raw) * 1000
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason)
      return
    }
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

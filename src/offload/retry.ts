/**
 * Retries of one request to a bucket: a network failure, a 5xx or a 429 is tried again after a
 * doubling delay; any other refusal (a 403 for wrong keys, a 404 for a missing bucket) is final,
 * since sending it again would be refused again.
 * @module
 */
import { DEFAULTS } from '../limits.ts'

/** A refusal from the bucket that another try would not change, or the last of the tries. */
export class BucketRefusal extends Error {
  override name = 'BucketRefusal'
  /** Whether another try might succeed. */
  readonly transient: boolean

  constructor(message: string, transient: boolean) {
    super(message)
    this.transient = transient
  }
}

/** True for an HTTP status another try might not get. */
export const isTransientStatus = (status: number) => status >= 500 || status === 429 || status === 408

/**
 * Runs `attempt` up to `DEFAULTS.uploadAttempts` times while it fails transiently (it throws, or
 * throws a transient {@link BucketRefusal}), waiting `DEFAULTS.uploadRetryDelay` ms and doubling.
 * An abort of `signal` stops the waiting.
 */
export async function withRetries<T>(attempt: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  let delay: number = DEFAULTS.uploadRetryDelay
  for (let tried = 1; ; tried++) {
    try {
      return await attempt()
    } catch (error) {
      const final = (error instanceof BucketRefusal && !error.transient) || signal?.aborted || tried >= DEFAULTS.uploadAttempts
      if (final) throw error
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delay)
      signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true })
    })
    delay *= 2
  }
}

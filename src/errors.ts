/**
 * edgepod's one error vocabulary, with every constructor: the {@link WorkerError} a request is
 * refused with (its `code` is the protocol's; only `http/` turns it into a status), the
 * {@link ErrorDetail}s a job ends with when edgepod ended it, and the normalisation of anything a
 * handler throws into an {@link ErrorDetail}.
 * @module
 */
import type { ErrorDetail } from './types.ts'
import { QUEUE_FULL_RETRY_AFTER } from './limits.ts'

/** The `code` of every refused request, as listed in docs/protocol.md. */
export type ErrorCode =
  | 'invalid_json'
  | 'missing_input'
  | 'invalid_input'
  | 'unauthorized'
  | 'not_found'
  | 'job_not_found'
  | 'method_not_allowed'
  | 'invalid_state'
  | 'payload_too_large'
  | 'queue_full'
  | 'store_unavailable'
  | 'setup_failed'
  | 'draining'
  | 'internal'

/**
 * Why a request was refused. Thrown anywhere below a route (the engine, a store, the request
 * parsing), it becomes the JSON answer `{"error","code","details"?}` with the code's HTTP status.
 */
export class WorkerError extends Error {
  override name = 'WorkerError' as const
  readonly code: ErrorCode
  /** Machine-readable detail (a schema's issues). */
  readonly details: unknown
  /** How long to wait before trying again, seconds (a full queue). */
  readonly retryAfter: number | undefined

  constructor(code: ErrorCode, message: string, options?: { details?: unknown; retryAfter?: number; cause?: unknown }) {
    super(message, { cause: options?.cause })
    this.code = code
    this.details = options?.details
    this.retryAfter = options?.retryAfter
  }
}

/** Matches a {@link WorkerError} by name too, so errors from another copy of edgepod count. */
export function isWorkerError(error: unknown): error is WorkerError {
  return error instanceof WorkerError || (error instanceof Error && error.name === 'WorkerError')
}

/** 404 `job_not_found`. */
export function jobNotFound(id: string): WorkerError {
  return new WorkerError('job_not_found', `no job with id ${JSON.stringify(id)} (it may have expired)`)
}

/** 409 `invalid_state`: only a `FAILED` or `TIMED_OUT` job can be retried. */
export function notRetryable(id: string, status: string): WorkerError {
  return new WorkerError('invalid_state', `job ${id} is ${status}; only FAILED or TIMED_OUT jobs can be retried`)
}

/** 429 `queue_full`, to be tried again in a second. */
export function queueFull(waiting: number): WorkerError {
  return new WorkerError('queue_full', `the queue is full: ${waiting} jobs are waiting for a slot; try again later`, { retryAfter: QUEUE_FULL_RETRY_AFTER })
}

/**
 * 503 `draining`: a job asked for `refresh_worker`, and this process is about to restart; the
 * request may be made again at once, and a fresh process answers it.
 */
export function draining(): WorkerError {
  return new WorkerError('draining', 'this worker is restarting after a job asked for refresh_worker; send the request again', { retryAfter: 1 })
}

/**
 * 503 `store_unavailable`: the store that holds the jobs (Redis) cannot be reached now. Said at
 * once, never after a wait without end; the request may be made again.
 */
export function storeUnavailable(message: string, cause?: unknown): WorkerError {
  return new WorkerError('store_unavailable', message, { retryAfter: 1, cause })
}

/** True for a {@link storeUnavailable} error. */
export function isStoreUnavailable(error: unknown): boolean {
  return isWorkerError(error) && error.code === 'store_unavailable'
}

/**
 * Logs what failed in the background (no request to answer): an unreachable store in one line
 * (the client already said it is reconnecting), anything else with its stack.
 */
export function logFailure(what: string, error: unknown): void {
  if (isStoreUnavailable(error)) console.error(`edgepod: ${what}: ${(error as Error).message}`)
  else console.error(`edgepod: ${what}`, error)
}

/** 500 `internal`, with the message only where stacks are exposed. */
export function internalError(message = 'internal error'): WorkerError {
  return new WorkerError('internal', message)
}

/**
 * The errors of jobs that edgepod ended itself. Their `type` names the class a handler would see
 * (`TimeoutError` as `AbortSignal.timeout` uses it); `code` says why where a client may act on it.
 */
export const jobErrors = {
  /** `/cancel`, `/purge-queue`, or a `POST /stream` job whose readers stayed away. */
  cancelled: (message = 'cancelled by request'): ErrorDetail => ({ type: 'CancelledError', message }),
  /** The attempt ran past its `executionTimeout`. */
  executionTimeout: (ms: number): ErrorDetail => ({ type: 'TimeoutError', message: `execution timeout of ${ms} ms exceeded` }),
  /** The job's ttl passed before it started. */
  ttlExpired: (ms: number): ErrorDetail => ({ type: 'TimeoutError', message: `ttl of ${ms} ms expired before the job started` }),
  /** An output, a progress report or the result is over a limit. */
  payloadTooLarge: (message: string): ErrorDetail => ({ type: 'PayloadTooLargeError', message, code: 'payload_too_large' }),
  /** A returned or yielded `{error}` (RunPod's way of failing a job). */
  handler: (message: string): ErrorDetail => ({ type: 'HandlerError', message }),
  /** A value JSON cannot carry. */
  notJson: (message: string): ErrorDetail => ({ type: 'TypeError', message }),
  /** The process that ran the job restarted while it ran. */
  restarted: (): ErrorDetail => ({
    type: 'RestartError',
    message: 'the worker restarted while the job ran; /retry runs it again',
    code: 'restarted',
  }),
  /** The member of the fleet that ran the job is gone, or stalled past its lease. */
  workerLost: (leaseMs: number): ErrorDetail => ({
    type: 'WorkerLostError',
    message: `the worker running the job stopped renewing its ${leaseMs} ms lease (it died or stalled); /retry runs it again`,
    code: 'worker_lost',
  }),
  /** A bug in edgepod: the job still ends, rather than stay IN_PROGRESS unseen. */
  internal: (): ErrorDetail => ({ type: 'InternalError', message: 'internal error while running the job' }),
} as const

/**
 * A file a job could not put in its bucket (`job.upload`, or an output spilled there): it ends the
 * job `FAILED` with `errorDetail.code` `upload_failed` unless the handler catches it. Its message
 * never holds a credential.
 */
export class UploadError extends Error {
  override name = 'UploadError'
  readonly code = 'upload_failed'
}

/**
 * Normalises anything thrown into an {@link ErrorDetail}: a thrown string or object keeps its text,
 * an Error keeps its class name, and the stack is kept only when asked for.
 */
export function errorDetailFrom(error: unknown, exposeStack: boolean): ErrorDetail {
  try {
    if (error instanceof Error) {
      const detail: ErrorDetail = { type: error.name || 'Error', message: error.message }
      if (exposeStack && error.stack) detail.stack = error.stack
      if (error instanceof UploadError) detail.code = error.code
      return detail
    }
    return { type: 'Error', message: typeof error === 'string' ? error : safeJson(error) }
  } catch {
    // A Proxy whose traps throw, a getter that throws: the job still ends with words.
    return { type: 'Error', message: UNREADABLE }
  }
}

/** The message of a thrown value that cannot be read at all. */
const UNREADABLE = 'a thrown value that cannot be read'

/** The text of a value for an error message: strings as they are, everything else as JSON. */
export function messageOf(value: unknown): string {
  if (typeof value === 'string') return value
  // `catch (e) { return { error: e } }` is common JS: an Error's JSON is `{}`, its message is the point.
  if (value instanceof Error) return value.message || value.name
  return safeJson(value)
}

/**
 * Text for any value, never throwing: a handler may throw something neither JSON nor `String` can
 * show (a BigInt in a null-prototype object, a Proxy), and its job must still end with a message.
 */
function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    try {
      return String(value)
    } catch {
      return UNREADABLE
    }
  }
}

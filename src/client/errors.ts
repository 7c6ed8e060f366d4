/**
 * What the client throws. A refused request, a job that did not complete and a connection that
 * could not be resumed are three different failures, so they are three classes, all
 * {@link EdgepodError}s; the client never returns an error object in place of an answer.
 * @module
 */
import type { ClientErrorCode, ErrorDetail, JobStatusObject } from './types.ts'

/** The base of every error the client throws itself (not the `signal`'s reason on abort). */
export class EdgepodError extends Error {
  override name: string = 'EdgepodError'
}

/**
 * A non-2xx answer (or a 2xx one that is not the job API's, code `invalid_response`): the server's
 * JSON error `{error, code, details?}` as fields.
 * @example
 * ```ts
 * try { await client.status(id) } catch (e) { if (e instanceof EdgepodHttpError && e.code === 'job_not_found') … }
 * ```
 */
export class EdgepodHttpError extends EdgepodError {
  override name = 'EdgepodHttpError'
  /** The HTTP status. */
  readonly status: number
  /** The server's error code (`job_not_found`, `unauthorized`, `invalid_state`, …), or `http_<status>` when the body had none. */
  readonly code: ClientErrorCode
  /** The server's `details` (a validator's issues for `invalid_input`), if any. */
  readonly details: unknown

  constructor(status: number, code: ClientErrorCode, message: string, details?: unknown) {
    super(message)
    this.status = status
    this.code = code
    this.details = details
  }
}

/** A streamed job that ended other than `COMPLETED`: its terminal status and error. */
export class EdgepodJobError extends EdgepodError {
  override name = 'EdgepodJobError'
  readonly jobId: string
  readonly status: 'FAILED' | 'CANCELLED' | 'TIMED_OUT'
  /** RunPod's error string, if the job has one. */
  readonly error: string | undefined
  /** The structured error `{type, message, code?, stack?}`, if the job has one. */
  readonly errorDetail: ErrorDetail | undefined
  /** The job's final status object (without `output` when it came from the `done` event). */
  readonly job: JobStatusObject

  constructor(job: JobStatusObject & { status: 'FAILED' | 'CANCELLED' | 'TIMED_OUT' }) {
    super(`job ${job.id} ${job.status}${job.error === undefined ? '' : `: ${job.error}`}`)
    this.jobId = job.id
    this.status = job.status
    this.error = job.error
    this.errorDetail = job.errorDetail
    this.job = job
  }
}

/** A stream whose connection dropped and could not be resumed within the retry attempts. */
export class EdgepodConnectionError extends EdgepodError {
  override name = 'EdgepodConnectionError'
  /** The job whose stream was lost; stream it again by id to go on. */
  readonly jobId: string
  /** The id of the last event received, to pass as `lastEventId` when trying again. */
  readonly lastEventId: string | undefined
  /** How many reconnects were tried. */
  readonly attempts: number

  constructor(jobId: string, lastEventId: string | undefined, attempts: number, cause: unknown) {
    super(`lost the stream of job ${jobId} after ${attempts} reconnect attempts: ${messageOf(cause)}`, { cause })
    this.jobId = jobId
    this.lastEventId = lastEventId
    this.attempts = attempts
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * The state one `client.stream` call keeps across its connections: the job, the last event
 * seen (so a reconnect asks for exactly what it missed), the failures in a row, and how a job's
 * final status becomes the end of the stream or an {@link EdgepodJobError}.
 * @module
 */
import type { Backoff } from './backoff.ts'
import { backoffDelay, sleep } from './backoff.ts'
import { EdgepodConnectionError, EdgepodHttpError, EdgepodJobError } from './errors.ts'
import type { Transport } from './http.ts'
import { jobPath } from './http.ts'
import type { JobStatus, JobStatusObject } from './types.ts'

const TERMINAL: ReadonlySet<JobStatus> = new Set<JobStatus>(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT'])
const STATUSES: ReadonlySet<string> = new Set<string>(['IN_QUEUE', 'IN_PROGRESS', ...TERMINAL])

/** True for the statuses after which a job never changes. */
export const isTerminalStatus = (status: JobStatus): boolean => TERMINAL.has(status)

/** Checks that a value is a status object, at least its `id` and `status`. */
export function asStatusObject(value: unknown, fallbackId: string): JobStatusObject {
  const object = (typeof value === 'object' && value !== null ? value : {}) as Partial<JobStatusObject>
  if (typeof object.status !== 'string' || !STATUSES.has(object.status)) {
    throw new EdgepodHttpError(200, 'invalid_response', `expected a job status object, got ${JSON.stringify(value)?.slice(0, 120)}`)
  }
  return { delayTime: 0, executionTime: 0, ...object, id: typeof object.id === 'string' ? object.id : fallbackId } as JobStatusObject
}

/** One stream's state; see the module comment. */
export class StreamSession {
  /** Known at once for a job id; set when the creating request answers. */
  jobId: string | undefined
  /** The id of the last event received (the `Last-Event-ID`, or the polled cursor). */
  lastEventId: string | undefined
  /** True once the job's terminal status was received: nothing is left to cancel. */
  ended = false
  /** Connections in a row that failed before bringing a new event. */
  #failures = 0

  readonly transport: Transport
  readonly backoff: Backoff
  /** Aborts when the stream is stopped; every request and wait of the stream listens to it. */
  readonly signal: AbortSignal

  constructor(transport: Transport, backoff: Backoff, signal: AbortSignal) {
    this.transport = transport
    this.backoff = backoff
    this.signal = signal
  }

  /** The job id, which every request after the first needs. */
  get id(): string {
    if (this.jobId === undefined) throw new Error('edgepod client: no job id yet')
    return this.jobId
  }

  /**
   * Notes an event id; false for an event at or before the last one seen, which a server replaying
   * too much could send: skipping it keeps "each output exactly once" on the client's side too.
   */
  see(id: string | undefined): boolean {
    if (id === undefined || id === '') return true
    const last = this.lastEventId === undefined ? Number.NaN : Number(this.lastEventId)
    const next = Number(id)
    if (Number.isFinite(last) && Number.isFinite(next) && next <= last) return false
    this.lastEventId = id
    this.#failures = 0
    return true
  }

  /** A request or connection worked: the next failure starts the backoff afresh. */
  succeeded(): void {
    this.#failures = 0
  }

  /**
   * A connection failed: waits the backoff delay (at least `minDelay`, a `Retry-After`), or throws
   * {@link EdgepodConnectionError} once the attempts are used up.
   */
  async failed(cause: unknown, minDelay = 0): Promise<void> {
    this.#failures++
    if (this.#failures > this.backoff.attempts) {
      throw new EdgepodConnectionError(this.id, this.lastEventId, this.#failures - 1, cause)
    }
    const delay = Math.max(backoffDelay(this.#failures, this.backoff), Math.min(minDelay, this.backoff.maxDelay))
    await sleep(delay, this.signal)
  }

  /** The job ended: returns for `COMPLETED`, throws {@link EdgepodJobError} for the others. */
  finish(job: JobStatusObject): void {
    if (!isTerminalStatus(job.status)) {
      throw new EdgepodHttpError(200, 'invalid_response', `job ${job.id} ended its stream with status ${job.status}`)
    }
    this.ended = true
    if (job.status !== 'COMPLETED') throw new EdgepodJobError(job as JobStatusObject & { status: 'FAILED' | 'CANCELLED' | 'TIMED_OUT' })
  }

  /** `GET /status/:id`. */
  async fetchStatus(): Promise<JobStatusObject> {
    return asStatusObject(await this.transport.json({ method: 'GET', path: jobPath('/status', this.id), signal: this.signal }), this.id)
  }

  /**
   * Asks `/status/:id` how the job ended, when the stream cannot say (a 204 before `done`, a
   * polled failure with no `errorDetail`). Returns false if it has not ended; else as {@link finish}.
   */
  async settle(): Promise<boolean> {
    const job = await this.fetchStatus()
    if (!isTerminalStatus(job.status)) return false
    this.finish(job)
    return true
  }
}

/**
 * The shapes of RunPod's job API as edgepod serves it: requests, the job a handler receives,
 * and the status object every route answers with.
 * @module
 */
import type { UploadedFile } from './offload/bucket.ts'
import type { UploadBody } from './offload/upload-body.ts'
import type { UploadOptions } from './offload/job-files.ts'

/** Where a job is in its life. The last four are terminal: nothing changes after them. */
export type JobStatus =
  | 'IN_QUEUE'
  | 'IN_PROGRESS'
  | 'COMPLETED'
  | 'FAILED'
  | 'CANCELLED'
  | 'TIMED_OUT'

/** Per-job limits, as RunPod's `policy` request field. All times are milliseconds. */
export interface JobPolicy {
  /** Past this much running time the job ends `TIMED_OUT` and the handler is cancelled. @default 600000 */
  executionTimeout?: number | undefined
  /** Total lifetime from submission; the result is kept until it passes. @default 86400000 */
  ttl?: number | undefined
  /** Queued behind every job that is not low priority. @default false */
  lowPriority?: boolean | undefined
}

/** The body of `/run`, `/runsync` and `POST /stream`, and what the client's `run`, `runSync` and `stream` take. */
export interface JobRequest<TInput = unknown> {
  /** The handler's `job.input`. */
  input: TInput
  /** A URL that receives the job's status object on every terminal status. */
  webhook?: string | undefined
  /** `executionTimeout`, `ttl` and `lowPriority` for this job. */
  policy?: JobPolicy | undefined
  /** Passed to the handler as `job.s3Config`. */
  s3Config?: Record<string, unknown> | undefined
}

/** The part of a runtime's execution context edgepod uses (Cloudflare's `ExecutionContext`). */
export interface ExecutionContextLike {
  waitUntil(promise: Promise<unknown>): void
  passThroughOnException?(): void
}

/** What a handler receives: the request as sent, plus the means to cooperate with edgepod. */
export interface Job<TInput = unknown, TEnv = unknown> {
  /** The job id, unguessable, the same across `/retry`. */
  readonly id: string
  readonly input: TInput
  readonly webhook: string | undefined
  /** The policy as sent (undefined when the request had none). */
  readonly policy: JobPolicy | undefined
  readonly s3Config: Record<string, unknown> | undefined
  /**
   * Aborts on `/cancel`, on `executionTimeout`, and when every reader of a `POST /stream` job has
   * been gone for the disconnect grace period. Pass it to `fetch`, timers and streams so they stop.
   */
  readonly signal: AbortSignal
  /**
   * Reports progress: the value becomes the status object's `progress` and a `progress` event,
   * in order with the outputs. Ignored once the job has ended.
   */
  progress(value: unknown): void
  /**
   * Appends a line to the job's log: a `log` event, in order with the outputs and resumable like
   * them, and an entry of `/status/:id?logs=1`. `level` is one of {@link LogLevel} (default
   * `info`); a message that is not a string, or a level not in the list, throws a `TypeError`. A
   * message whose event would pass `maxEventBytes` is cut, with a marker, never refused. Ignored
   * once the job has ended.
   * @example
   * ```ts
   * job.log('loading weights')
   * job.log(`cache miss for ${key}`, 'warn')
   * ```
   */
  log(message: string, level?: LogLevel): void
  /**
   * Puts a file in the job's bucket (the request's `s3Config`, else the worker's `bucket`, else
   * `BUCKET_*` from the env) and resolves to `{ url, size, contentType }`: a URL anyone can fetch
   * (a presigned GET, or the bucket's public URL). A stream or a Blob is sent in parts, never
   * whole in memory. Rejects with an `UploadError` (`code: 'upload_failed'`) once retries are spent.
   * @example
   * ```ts
   * yield await job.upload(pngBytes, { name: 'image.png', contentType: 'image/png' })
   * ```
   */
  upload(body: UploadBody, options?: UploadOptions): Promise<UploadedFile>
  /** The bindings of the request that submitted the job (Cloudflare's `env`), if the runtime has any. */
  readonly env: TEnv
  /** The execution context of the request that submitted the job, if the runtime has one. */
  readonly executionCtx: ExecutionContextLike | undefined
}

/** How much a `job.log` line matters, least first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/** The data of a `log` event: one `job.log` line, as `{"message","level","time"}` on the wire. */
export interface JobLog {
  message: string
  level: LogLevel
  /** When the handler logged it, ms since the epoch. */
  time: number
}

/** An entry of a status object's `logs` (`/status/:id?logs=1`): a {@link JobLog} and its event's seq. */
export interface JobLogEntry extends JobLog {
  /** The `log` event's id in the job's event log, as its SSE `id:`. */
  seq: number
}

/** The structured error attached to a failed, cancelled or timed-out job. */
export interface ErrorDetail {
  /** The error's class name (`TypeError`, `TimeoutError`, `HandlerError` for a returned `{error}`). */
  type: string
  message: string
  /** Only when the worker is started with `exposeErrorStack: true`. */
  stack?: string | undefined
  /** A machine-readable reason where edgepod ended the job itself (`payload_too_large`). */
  code?: string | undefined
}

/**
 * The status object of `/status`, `/runsync` and the `done` event (which omits `output`).
 * `TOutput` is what `output` is (the `HandlerResultOf` of a worker's handler and aggregation);
 * with the default, `unknown`, every status object is one, typed or not.
 */
export interface JobStatusObject<TOutput = unknown> {
  id: string
  status: JobStatus
  /**
   * The job's result: a plain handler's returned value, or its stream's aggregate (RunPod's `[]`
   * without one). Absent while a plain handler runs, when it returned nothing, and when a reducer
   * failed.
   */
  output?: TOutput | undefined
  error?: string
  errorDetail?: ErrorDetail
  progress?: unknown
  /**
   * Only with `?logs=1` (`/status`, `/status-sync`): the current attempt's most recent `job.log`
   * lines, oldest first, at most `STATUS_LOGS` (100) of them.
   */
  logs?: JobLogEntry[] | undefined
  /** Only with `?logs=1`, and only when `logs` left some out: how many older lines it left out. */
  logsDropped?: number | undefined
  /** Milliseconds spent queued. */
  delayTime: number
  /** Milliseconds spent running. */
  executionTime: number
  workerId?: string
}

/** The answer of `GET /health`, RunPod's shape. */
export interface HealthReport {
  jobs: { completed: number; failed: number; inProgress: number; inQueue: number; retried: number }
  /**
   * This process's slots (`idle`, `running`; a fleet's are summed), and, as RunPod's SDK names them,
   * whether this process is `initializing` (its `setup` runs) or `ready`, and `throttled` (never here).
   */
  workers: { idle: number; running: number; initializing?: number; ready?: number; throttled?: number }
}

/** True for the four statuses after which a job never changes. */
export function isTerminal(status: JobStatus): boolean {
  return status !== 'IN_QUEUE' && status !== 'IN_PROGRESS'
}

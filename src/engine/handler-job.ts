/**
 * The `job` a handler receives (`Job` in types.ts), made for each attempt that runs here.
 * @module
 */
import type { ExecutionContextLike, Job, JobPolicy, JobRequest, LogLevel } from '../types.ts'
import type { UploadedFile } from '../offload/bucket.ts'
import type { UploadBody } from '../offload/upload-body.ts'
import type { UploadOptions } from '../offload/job-files.ts'
import { cloneInput } from './clone-input.ts'

/** Where a job's `progress`, `log` and `upload` go. */
export interface HandlerJobSink {
  progress(value: unknown): void
  log(message: string, level?: LogLevel): void
}

/** What gives a job its signal: the attempt's execution, which makes it on first read. */
interface SignalSource {
  readonly signal: AbortSignal
}

/** Where a job keeps its signal's source: a symbol, so that a proxy of the job or an object made from it reads it too. */
const RUN = Symbol('edgepod.run')

/** `job.signal`: one function for every job. */
function signalOfJob(this: { readonly [RUN]: SignalSource }): AbortSignal {
  return this[RUN].signal
}

/**
 * `signal` as an own enumerable accessor, as an object literal's getter was: `{ ...job }` and
 * `Object.assign` still carry it. Its getter is the same function for every job, so every job
 * shares one hidden class. A getter written in an object literal is a new closure for each job,
 * and V8 then gave every job a hidden class of its own, made in the old generation, from which the
 * closure held the whole attempt (its execution, sink and writer) through every young-generation
 * collection until the next full one: on Node the collector copied each finished job instead of
 * dropping it, half its time on `/runsync` (bench/RESULTS.md, "Per-job cost, second round").
 */
const SIGNAL: PropertyDescriptor = { get: signalOfJob, enumerable: true, configurable: true }

/** One attempt's `job`. */
export class HandlerJob implements Job<never, never> {
  declare readonly id: string
  declare readonly input: never
  declare readonly webhook: string | undefined
  declare readonly policy: JobPolicy | undefined
  declare readonly s3Config: Record<string, unknown> | undefined
  declare readonly signal: AbortSignal
  // Own functions rather than methods, so that a handler may pass them on unbound (`const { log } = job`).
  declare readonly progress: (value: unknown) => void
  declare readonly log: (message: string, level?: LogLevel) => void
  declare readonly upload: (body: UploadBody, options?: UploadOptions) => Promise<UploadedFile>
  declare readonly env: never
  declare readonly executionCtx: ExecutionContextLike | undefined
  declare readonly [RUN]: SignalSource

  /**
   * `run` gives the signal (made on first read), `sink` takes progress and log lines, and `files`
   * makes the attempt's files at the first upload. Members are set in the order a job has always
   * listed them.
   */
  constructor(
    id: string,
    request: JobRequest,
    context: { env: unknown; executionCtx: ExecutionContextLike | undefined },
    run: SignalSource,
    sink: HandlerJobSink,
    files: () => { upload(body: UploadBody, options?: UploadOptions): Promise<UploadedFile> }
  ) {
    const job = this as { -readonly [K in keyof HandlerJob]: HandlerJob[K] }
    job.id = id
    job.input = cloneInput(request.input) as never
    job.webhook = request.webhook
    job.policy = request.policy
    job.s3Config = request.s3Config
    Object.defineProperty(this, 'signal', SIGNAL)
    job.progress = (value) => sink.progress(value)
    job.log = (message, level) => sink.log(message, level)
    job.upload = (body, options) => files().upload(body, options)
    job.env = context.env as never
    job.executionCtx = context.executionCtx
    job[RUN] = run
  }
}

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

/**
 * One attempt's `job`. A class with `signal` on its prototype, not an object literal with a
 * getter: such a literal gives every job a hidden class of its own, which V8 allocates in the old
 * generation, and from there the getter's closure held the whole attempt (its execution, sink and
 * writer) through every young-generation collection until the next full one. On Node that made the
 * collector copy each finished job instead of dropping it, a quarter of a `/runsync`'s cost
 * (bench/RESULTS.md, "Per-job cost").
 */
export class HandlerJob implements Job<never, never> {
  readonly id: string
  readonly input: never
  readonly webhook: string | undefined
  readonly policy: JobPolicy | undefined
  readonly s3Config: Record<string, unknown> | undefined
  readonly env: never
  readonly executionCtx: ExecutionContextLike | undefined
  // Own functions rather than methods, so that a handler may pass them on unbound (`const { log } = job`).
  readonly progress: (value: unknown) => void
  readonly log: (message: string, level?: LogLevel) => void
  readonly upload: (body: UploadBody, options?: UploadOptions) => Promise<UploadedFile>
  readonly #signal: { readonly signal: AbortSignal }

  /**
   * `run` gives the signal (made on first read), `sink` takes progress and log lines, and `files`
   * makes the attempt's files at the first upload.
   */
  constructor(
    id: string,
    request: JobRequest,
    context: { env: unknown; executionCtx: ExecutionContextLike | undefined },
    run: { readonly signal: AbortSignal },
    sink: HandlerJobSink,
    files: () => { upload(body: UploadBody, options?: UploadOptions): Promise<UploadedFile> }
  ) {
    this.id = id
    this.input = cloneInput(request.input) as never
    this.webhook = request.webhook
    this.policy = request.policy
    this.s3Config = request.s3Config
    this.env = context.env as never
    this.executionCtx = context.executionCtx
    this.#signal = run
    this.progress = (value) => sink.progress(value)
    this.log = (message, level) => sink.log(message, level)
    this.upload = (body, options) => files().upload(body, options)
  }

  /** Aborts on `/cancel`, on the execution timeout, and when a `POST /stream` job's readers are gone. */
  get signal(): AbortSignal {
    return this.#signal.signal
  }
}

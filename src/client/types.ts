/**
 * The types of `edgepod/client`: its options, its answers, and the helpers that carry a worker's
 * input and output types to the client. Nothing here is server code: the job API's shapes come
 * from the server's type-only module, which a bundler drops entirely.
 * @module
 */
import type { ErrorCode } from '../errors.ts'
import type { HealthReport, JobLog, JobRequest, JobStatus, JobStatusObject } from '../types.ts'

/**
 * The job API's shapes, as the server defines them (types only). A {@link JobRequest} is what
 * `run`, `runSync` and `stream` take: `{ input, webhook?, policy?, s3Config? }`.
 */
export type { ErrorDetail, HealthReport, JobLog, JobLogEntry, JobPolicy, JobRequest, JobStatus, JobStatusObject, LogLevel } from '../types.ts'

/**
 * Any worker, as far as the client's types care: something that may carry the phantom
 * `'~types'` of its request input and one output, and the phantom `'~result'` of its status
 * objects' `output`. The default of {@link createClient}.
 */
export interface AnyWorker {
  readonly '~types'?: { input: unknown; output: unknown }
  readonly '~result'?: { result: unknown }
}

/**
 * The input type of a worker (`typeof worker`), from its phantom `'~types'`: what a request
 * sends, so the schema's *input* type (a field with a default is optional here, though the
 * handler's `job.input` has it), or without a schema the handler's own input type; `unknown` for
 * a worker that does not carry one.
 * @example
 * ```ts
 * // schema: z.object({ prompt: z.string(), maxTokens: z.number().default(256) })
 * type Input = InputOf<typeof worker> // { prompt: string; maxTokens?: number | undefined }
 * ```
 */
export type InputOf<W> = W extends { readonly '~types'?: { input: infer I } } ? I : unknown

/**
 * The type of one output of a worker (what its handler yields, or returns when it yields
 * nothing), from its phantom `'~types'`: what `client.stream` yields. `unknown` for a worker
 * that does not carry one.
 */
export type OutputOf<W> = W extends { readonly '~types'?: { output: infer O } } ? O : unknown

/**
 * The type of a worker's result: the `output` of its status objects, as `runSync`, `status` and
 * `cancel` answer them, from its phantom `'~result'` (see `HandlerResultOf` in `edgepod`). For a
 * plain handler, what it returns; for a streaming one, what its aggregation makes of its outputs:
 * an array of them (`returnAggregateStream: true`, `aggregate: 'array'`), a `string`
 * (`aggregate: 'concat'`), a reducer's result, or RunPod's empty array `[]` (no aggregation).
 * `unknown` for a worker that does not carry one.
 * @example
 * ```ts
 * // handler: async function* () { yield 'token' }, aggregate: 'concat'
 * type Result = ResultOf<typeof worker> // string
 * const { output } = await client.runSync({ input }) // string | undefined
 * ```
 */
export type ResultOf<W> = W extends { readonly '~result'?: { result: infer R } } ? R : unknown

/** The `fetch` the client calls; any WHATWG-compatible one (undici, a test double, a proxy agent). */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>

/** Options of {@link createClient}. */
export interface ClientOptions {
  /**
   * Where the worker is: its origin (`http://127.0.0.1:8000`) or a RunPod-style endpoint URL
   * (`https://host/v2/my-endpoint`); routes are appended to it.
   */
  baseUrl: string | URL
  /** Sent as `Authorization: Bearer <apiKey>` on every request. */
  apiKey?: string | undefined
  /** The `fetch` to use. @default globalThis.fetch, looked up at each call */
  fetch?: FetchLike | undefined
  /** Headers added to every request; a route's own (`Accept`, `Last-Event-ID`) and `Authorization` win. */
  headers?: Record<string, string> | undefined
}

/** What every one-shot method accepts besides its arguments. */
export interface CallOptions {
  /** Aborts the request; the method rejects with the signal's reason. */
  signal?: AbortSignal | undefined
}

/** Options of `client.status`. */
export interface StatusOptions extends CallOptions {
  /**
   * Ask for the job's most recent `job.log` lines too (`?logs=1`): the status object then has
   * `logs`, oldest first, and `logsDropped` when older ones were left out.
   * @default false
   */
  logs?: boolean | undefined
}

/** Options of `client.runSync`. */
export interface RunSyncOptions extends CallOptions {
  /**
   * How long the server waits for the job to end, ms (its default 90000, at most 300000); when it
   * passes first, the answer is the job's non-final status object, as on RunPod.
   */
  wait?: number | undefined
}

/** The answer of `/run` and `/retry`. */
export interface JobRef {
  id: string
  status: JobStatus
}

/** The answer of `/purge-queue`: how many queued jobs were removed. */
export interface PurgeResult {
  removed: number
  status: 'completed'
}

/** How `client.stream` reconnects after a dropped connection. */
export interface StreamRetryOptions {
  /** Reconnects in a row with no event received before giving up. 0 never reconnects. @default 8 */
  attempts?: number | undefined
  /** The first delay, ms; it doubles at each attempt, with jitter. @default 100 */
  initialDelay?: number | undefined
  /** The largest delay, ms. @default 5000 */
  maxDelay?: number | undefined
}

/** How `client.stream` polls when it reads the polled JSON stream. */
export interface StreamPollOptions {
  /** The pause after a poll that brought nothing new, ms (the server also holds each poll ~1 s). @default 500 */
  interval?: number | undefined
}

/** Options of `client.stream`. */
export interface StreamOptions extends CallOptions {
  /**
   * Resume after this event id (a {@link JobStream.lastEventId} from an earlier read). Only for a
   * job id: a request starts a new job.
   */
  lastEventId?: string | number | undefined
  /** Called with each progress value the handler reports, in order with the outputs (SSE only). */
  onProgress?: ((progress: unknown) => void) | undefined
  /**
   * Called with each `job.log` line (`{message, level, time}`), in order with the outputs (SSE
   * only). A line is handed over once, across reconnects, as outputs are.
   */
  onLog?: ((log: JobLog) => void) | undefined
  /**
   * Cancel the job (`POST /cancel/:id`) when the stream is stopped early: a `break` out of
   * `for await`, `return()`, or `signal` aborting.
   * @default true for a job this call created from a request, false for a job id
   */
  cancelOnAbort?: boolean | undefined
  /** Reconnection after a dropped connection. */
  retry?: StreamRetryOptions | undefined
  /**
   * `true` (or an object) reads RunPod's polled JSON stream from the start instead of SSE.
   * Otherwise SSE is used, and polling is the fallback when an answer is not `text/event-stream`
   * (a buffering proxy). The interval applies to both.
   */
  poll?: boolean | StreamPollOptions | undefined
}

/**
 * What `client.stream` returns: an async iterator of the job's outputs, one-shot (it iterates
 * once). Nothing is requested until the first `next()`.
 */
export interface JobStream<T> extends AsyncIterableIterator<T, void, undefined> {
  [Symbol.asyncIterator](): JobStream<T>
  /** Stops the stream: the connection is closed and, per `cancelOnAbort`, the job is cancelled. */
  return(): Promise<IteratorReturnResult<void>>
  /** The job id once known: at once for an id, once `POST /stream` (or `/run`) answered for a request. */
  readonly jobId: string | undefined
  /** The id of the last event received: pass it as `lastEventId` to resume elsewhere. */
  readonly lastEventId: string | undefined
}

/** The `code` of an {@link EdgepodHttpError}: the server's codes, plus `invalid_response` for an answer that is not the job API's. */
export type ClientErrorCode = ErrorCode | 'invalid_response' | (string & {})

/**
 * The edgepod client: RunPod's job API as typed methods. `TInput` is what a request's `input` is,
 * `TOutput` one output of a stream, `TResult` the `output` of a status object (see
 * {@link InputOf}, {@link OutputOf}, {@link ResultOf}).
 */
export interface EdgepodClient<TInput = unknown, TOutput = unknown, TResult = unknown> {
  /** `POST /run`: queues a job from a request, `{ input, webhook?, policy?, s3Config? }`. */
  run(request: JobRequest<TInput>, options?: CallOptions): Promise<JobRef>
  /**
   * `POST /runsync`: runs a job from a request, `{ input, webhook?, policy?, s3Config? }`, and
   * answers its status object when it ends (or when `wait` passes).
   */
  runSync(request: JobRequest<TInput>, options?: RunSyncOptions): Promise<JobStatusObject<TResult>>
  /** `GET /status/:id`: the job's status object; with `logs: true`, its recent log lines too. */
  status(id: string, options?: StatusOptions): Promise<JobStatusObject<TResult>>
  /** `POST /cancel/:id`: cancels the job; one already ended keeps its status. */
  cancel(id: string, options?: CallOptions): Promise<JobStatusObject<TResult>>
  /** `POST /retry/:id`: re-runs a `FAILED` or `TIMED_OUT` job under the same id. */
  retry(id: string, options?: CallOptions): Promise<JobRef>
  /** `GET /health`: counts of jobs and workers. */
  health(options?: CallOptions): Promise<HealthReport>
  /** `POST /purge-queue`: removes the queued jobs. */
  purgeQueue(options?: CallOptions): Promise<PurgeResult>
  /**
   * The outputs of a job as they come: of an existing job by id (`GET /stream/:id`), or of a new
   * one from a request, `{ input, webhook?, policy?, s3Config? }` (`POST /stream`, or `/run` when
   * polling). See {@link StreamOptions}.
   */
  stream(job: string | JobRequest<TInput>, options?: StreamOptions): JobStream<TOutput>
}

/** An {@link EdgepodClient} typed from a worker type: its {@link InputOf}, {@link OutputOf} and {@link ResultOf}. */
export type ClientOf<TWorker> = EdgepodClient<InputOf<TWorker>, OutputOf<TWorker>, ResultOf<TWorker>>

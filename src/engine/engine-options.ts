/**
 * What the engine is told: the worker's config with every default applied (config.ts resolves it),
 * and how a job is submitted.
 * @module
 */
import type { ExecutionContextLike, Job } from '../types.ts'
import type { JobOrigin } from '../store/job-state.ts'
import type { Aggregation } from './aggregate.ts'
import type { Concurrency } from './scheduler.ts'
import type { WebhookOptions } from './webhook.ts'
import type { BucketConfig } from '../offload/bucket-config.ts'

/** Everything the engine needs to know, already resolved from the worker's config. */
export interface EngineOptions {
  handler: (job: Job<never, never>) => unknown
  /** How a stream's outputs become its `output` (RunPod's `return_aggregate_stream` is `'array'`). */
  aggregation: Aggregation
  /** Largest single output or progress value, UTF-8 bytes of its JSON. */
  maxEventBytes: number
  /** Largest total of a job's outputs, and of its final output, UTF-8 bytes of JSON. */
  maxResultBytes: number
  /** Delivery of the request's `webhook`; the secret falls back to `env.EDGEPOD_WEBHOOK_SECRET`. */
  webhooks: WebhookOptions
  /** A fixed number of jobs run at once, or RunPod's modifier `(current) => wanted`. */
  concurrency: Concurrency
  /** Default `policy.executionTimeout`, ms. */
  executionTimeout: number
  /** Default `policy.ttl`, ms. */
  ttl: number
  /** How long a `POST /stream` job lives on with no reader before it is cancelled, ms. */
  disconnectGrace: number
  /** How long a cancelled handler may take to run its cleanup before its slot is freed anyway, ms. */
  cleanupTimeout: number
  /** The most jobs waiting for a slot before submissions are refused (429 `queue_full`). */
  maxQueue: number
  exposeErrorStack: boolean
  /** The `workerId` of status objects; a random one (made at the first request) when absent. */
  workerId: string | undefined
  /** How long a `/run` or `POST /stream` job's result is kept after its end, ms. */
  resultRetention: number
  /** How long a `/runsync` or OpenAI job's result is kept after its end, ms. */
  syncResultRetention: number
  /** Runs once before the first job (see `WorkerConfig.setup`). */
  setup: ((env: unknown) => void | Promise<void>) | undefined
  /** RunPod's `refresh_worker` in the config: the process restarts after every job. */
  refreshWorker: boolean
  /** Ends the process after a refresh has drained it; absent on Workers, which ignore refreshes. */
  exit: (() => void) | undefined
  /** Where `job.upload` and spilled outputs go when a request brings no `s3Config`. */
  bucket: BucketConfig | undefined
  /** Put an output or a result over the limits in the job's bucket instead of failing the job. */
  spill: boolean
}

/** How a job is submitted. */
export interface SubmitOptions {
  origin?: JobOrigin
  /** The runtime's bindings, the handler's `job.env`. */
  env?: unknown
  /** The request's execution context (Workers): kept alive until the job has ended. */
  executionCtx?: ExecutionContextLike | undefined
}

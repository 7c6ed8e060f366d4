/**
 * `serverless.start`: RunPod's entry point, returning a worker that every fetch runtime can serve.
 * @module
 */
import type { Hono } from 'hono'
import type { WorkerConfig } from './config.ts'
import type { AggregationOf, HandlerOutputOf, HandlerResultOf } from './result-types.ts'
import { resolveConfig } from './config.ts'
import { JobEngine } from './engine/engine.ts'
import { NO_EXECUTION_CONTEXT, createApp } from './http/app.ts'
import type { ExecutionContextLike, Job } from './types.ts'
import { runIfMainModule } from './adapter/main-module/detect.ts'

/**
 * What `serverless.start` returns: a module's default export on Workers, Deno, Bun and Node. The
 * type parameters are for the client (`createClient<typeof worker>`): what a request's `input`
 * is, what one output is, and what the job's `output` in its status object is.
 */
export interface Worker<TEnv = any, TInput = unknown, TOutput = unknown, TResult = unknown> {
  /** The fetch handler: `export default serverless.start(...)` is all a runtime needs. */
  fetch(request: Request, env?: TEnv, executionCtx?: ExecutionContextLike): Response | Promise<Response>
  /** The Hono app, to mount under another app: `app.route('/jobs', worker.app)`. */
  readonly app: Hono
  /** The job engine behind the routes, for tests and in-process use (not with a Durable Object store). */
  readonly engine: JobEngine
  /**
   * Types only, never set: the job input a request sends (the schema's input type, before its
   * defaults and transforms) and one output of this worker, so that a client can be typed from
   * the worker with no annotation (`createClient<typeof worker>`).
   */
  readonly '~types'?: { input: TInput; output: TOutput }
  /**
   * Types only, never set: the `output` of this worker's status objects (see `HandlerResultOf`),
   * for the client's `runSync`, `status` and `cancel`. Beside `'~types'` rather than in it, so
   * that a type written against `'~types'` alone still types a client; boxed, so that reading it
   * back keeps an `undefined` in it (an optional property's own `undefined` is dropped then).
   */
  readonly '~result'?: { result: TResult }
}

/**
 * The input a client sends to a worker: the schema's input type, or without a schema (nothing
 * inferred: `unknown`) the handler's own input type.
 */
type RequestInputOf<TInput, TRequestInput> = unknown extends TRequestInput ? TInput : TRequestInput

/**
 * The worker `start` returns for a config of these types (the parameters of {@link WorkerConfig}),
 * shared with the adapters' `start`, which must type their workers alike.
 */
export type WorkerOf<
  TInput = any,
  TEnv = any,
  TResult = unknown,
  TRequestInput = unknown,
  TAggregate = unknown,
  TReduced = unknown,
  TReturnAggregateStream = unknown,
  TReturnAggregateStreamRunPod = unknown,
> = Worker<
  TEnv,
  RequestInputOf<TInput, TRequestInput>,
  HandlerOutputOf<TResult>,
  HandlerResultOf<TResult, AggregationOf<TAggregate, TReduced, TReturnAggregateStream, TReturnAggregateStreamRunPod>>
>

/**
 * The type of `serverless.start`, taking the options of {@link WorkerConfig} and `TOptions` beside
 * them (an adapter's own, such as Cloudflare's `durableObject`). Its type parameters are for the
 * call to infer from the config (see {@link WorkerConfig}); the worker's types follow from them.
 */
export type StartFunction<TOptions = unknown> = <
  TInput = any,
  TEnv = any,
  TResult = unknown,
  TRequestInput = unknown,
  TAggregate = unknown,
  TReduced = unknown,
  TReturnAggregateStream = unknown,
  TReturnAggregateStreamRunPod = unknown,
>(
  config: WorkerConfig<TInput, TEnv, TResult, TRequestInput, TAggregate, TReduced, TReturnAggregateStream, TReturnAggregateStreamRunPod> & TOptions
) => WorkerOf<TInput, TEnv, TResult, TRequestInput, TAggregate, TReduced, TReturnAggregateStream, TReturnAggregateStreamRunPod>

/**
 * Creates a worker serving RunPod's job API for `config.handler`.
 * @example
 * ```ts
 * export default serverless.start({
 *   handler: async function* (job) { for (let i = 0; i < 5; i++) yield `token ${i}` },
 *   returnAggregateStream: true,
 * })
 * ```
 */
export const start: StartFunction = (config) => {
  if ((config as { durableObject?: unknown } | undefined)?.durableObject !== undefined) {
    throw new TypeError("edgepod: durableObject is an option of edgepod/cloudflare-workers: import { serverless } from 'edgepod/cloudflare-workers'")
  }
  const worker = workerOf(config as WorkerConfig)
  // `tsx worker.ts --rp_serve_api`, `--test_input`: the worker file run by itself, as RunPod's handler.py.
  runIfMainModule(worker)
  // The declared type is the point: what a config's types make of the worker's.
  return worker as never
}

/** The worker of a config: its engine over its store (in memory unless told), and its app. */
export function workerOf(config: WorkerConfig): Worker {
  const resolved = resolveConfig(config)
  const engine = new JobEngine(resolved.engine, resolved.store)
  const app = createApp(engine, resolved.app)
  return {
    fetch: (request, env, executionCtx) => app.fetch(request, env, (executionCtx ?? NO_EXECUTION_CONTEXT) as Parameters<Hono['fetch']>[2]),
    app,
    engine,
  }
}

/** RunPod's `progress_update(job, progress)`: the same as `job.progress(progress)`. */
export function progressUpdate(job: Pick<Job, 'progress'>, progress: unknown): void {
  job.progress(progress)
}

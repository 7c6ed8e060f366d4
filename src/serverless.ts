/**
 * `serverless.start`: RunPod's entry point, returning a worker that every fetch runtime can serve.
 * @module
 */
import type { Hono } from 'hono'
import type { HandlerOutputOf, WorkerConfig } from './config.ts'
import { resolveConfig } from './config.ts'
import { JobEngine } from './engine/engine.ts'
import { NO_EXECUTION_CONTEXT, createApp } from './http/app.ts'
import type { ExecutionContextLike, Job } from './types.ts'

/** What `serverless.start` returns: a module's default export on Workers, Deno, Bun and Node. */
export interface Worker<TEnv = any, TInput = unknown, TOutput = unknown> {
  /** The fetch handler: `export default serverless.start(...)` is all a runtime needs. */
  fetch(request: Request, env?: TEnv, executionCtx?: ExecutionContextLike): Response | Promise<Response>
  /** The Hono app, to mount under another app: `app.route('/jobs', worker.app)`. */
  readonly app: Hono
  /** The job engine behind the routes, for tests and in-process use (not with a Durable Object store). */
  readonly engine: JobEngine
  /**
   * Types only, never set: the job input and one output of this worker, so that a client can be
   * typed from the worker with no annotation (`createClient<typeof worker>`).
   */
  readonly '~types'?: { input: TInput; output: TOutput }
}

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
export function start<TInput = any, TEnv = any, TResult = unknown>(
  config: WorkerConfig<TInput, TEnv, TResult>
): Worker<TEnv, TInput, HandlerOutputOf<TResult>> {
  if ((config as { durableObject?: unknown } | undefined)?.durableObject !== undefined) {
    throw new TypeError("edgepod: durableObject is an option of edgepod/cloudflare-workers: import { serverless } from 'edgepod/cloudflare-workers'")
  }
  return workerOf(config as WorkerConfig) as Worker<TEnv, TInput, HandlerOutputOf<TResult>>
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

/**
 * `serverless.start`: RunPod's entry point, returning a worker that every fetch runtime can serve.
 * @module
 */
import type { Hono } from 'hono'
import type { WorkerConfig } from './config.ts'
import { resolveConfig } from './config.ts'
import { JobEngine } from './engine/engine.ts'
import { createApp } from './http/app.ts'
import type { ExecutionContextLike, Job } from './types.ts'

/** What `serverless.start` returns: a module's default export on Workers, Deno, Bun and Node. */
export interface Worker<TEnv = any> {
  /** The fetch handler: `export default serverless.start(...)` is all a runtime needs. */
  fetch(request: Request, env?: TEnv, executionCtx?: ExecutionContextLike): Response | Promise<Response>
  /** The Hono app, to mount under another app: `app.route('/jobs', worker.app)`. */
  readonly app: Hono
  /** The job engine behind the routes, for tests and in-process use. */
  readonly engine: JobEngine
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
export function start<TInput = any, TEnv = any>(config: WorkerConfig<TInput, TEnv>): Worker<TEnv> {
  const resolved = resolveConfig(config as WorkerConfig)
  const engine = new JobEngine(resolved.engine)
  const app = createApp(engine, resolved.app)
  return {
    fetch: (request, env, executionCtx) => app.fetch(request, env, executionCtx as Parameters<Hono['fetch']>[2]),
    app,
    engine,
  }
}

/** RunPod's `progress_update(job, progress)`: the same as `job.progress(progress)`. */
export function progressUpdate(job: Pick<Job, 'progress'>, progress: unknown): void {
  job.progress(progress)
}

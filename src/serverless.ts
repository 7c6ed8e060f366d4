/**
 * `serverless.start`: RunPod's entry point, returning a worker that every fetch runtime can serve.
 * @module
 */
import { Hono } from 'hono'
import type { HandlerOutputOf, WorkerConfig } from './config.ts'
import { resolveConfig } from './config.ts'
import { registerDurableWorker } from './durable-registry.ts'
import { JobEngine } from './engine/engine.ts'
import type { JobPersistence } from './engine/persistence.ts'
import { HttpError } from './errors.ts'
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
  if (config.durableObject !== undefined) {
    resolveConfig(config as WorkerConfig) // the same checks, at start-up
    registerDurableWorker(config as WorkerConfig)
    return forwardingWorker(config.durableObject)
  }
  return localWorker(config as WorkerConfig) as Worker<TEnv, TInput, HandlerOutputOf<TResult>>
}

/** A worker whose jobs live in this process (or isolate, or Durable Object). */
export function localWorker(config: WorkerConfig, persistence?: JobPersistence): Worker {
  const resolved = resolveConfig(config)
  const engine = new JobEngine({ ...resolved.engine, persistence })
  const app = createApp(engine, resolved.app)
  return {
    fetch: (request, env, executionCtx) => app.fetch(request, env, (executionCtx ?? NO_EXECUTION_CONTEXT) as Parameters<Hono['fetch']>[2]),
    app,
    engine,
  }
}

interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown
  get(id: unknown): { fetch(request: Request): Promise<Response> }
}

/**
 * A worker that hands every request to edgepod's one Durable Object: the object runs the engine,
 * so every isolate sees the same jobs, one concurrency limit and one FIFO queue.
 */
function forwardingWorker(binding: string): Worker<any, any, any> {
  const forward = (request: Request, env: unknown): Promise<Response> | Response => {
    const namespace = (env as Record<string, DurableObjectNamespaceLike | undefined> | undefined)?.[binding]
    if (typeof namespace?.idFromName !== 'function') {
      return new HttpError('internal', `edgepod: no Durable Object binding ${binding}; bind the class EdgepodJobs under that name in wrangler.toml`).toResponse()
    }
    return namespace.get(namespace.idFromName('edgepod')).fetch(request)
  }
  const app = new Hono()
  app.all('*', (c) => forward(c.req.raw, c.env))
  return {
    fetch: (request, env) => forward(request, env),
    app,
    get engine(): JobEngine {
      throw new Error('edgepod: with a Durable Object store the engine runs in the object, not in this isolate')
    },
  }
}

/** RunPod's `progress_update(job, progress)`: the same as `job.progress(progress)`. */
export function progressUpdate(job: Pick<Job, 'progress'>, progress: unknown): void {
  job.progress(progress)
}

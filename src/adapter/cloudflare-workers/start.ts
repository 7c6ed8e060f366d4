/**
 * `serverless.start` on Cloudflare Workers: the core's, plus the `durableObject` option, which
 * keeps the deployment's jobs in edgepod's Durable Object instead of one isolate's memory.
 * @module
 */
import type { WorkerConfig } from '../../config.ts'
import { resolveConfig } from '../../config.ts'
import { start as startInMemory } from '../../serverless.ts'
import type { StartFunction } from '../../serverless.ts'
import { registerDurableWorker } from './durable-registry.ts'
import { forwardingWorker } from './forwarding-worker.ts'

/** The option `serverless.start` takes on Cloudflare Workers besides the core's. */
export interface DurableObjectOption {
  /**
   * Keep jobs in edgepod's Durable Object, bound under this name (with the class `EdgepodJobs`
   * exported from the same module), instead of one isolate's memory.
   */
  durableObject?: string | undefined
}

/** The options of a worker on Cloudflare Workers: {@link WorkerConfig}'s and {@link DurableObjectOption}. */
export interface CloudflareWorkerConfig<TInput = any, TEnv = any, TResult = unknown> extends WorkerConfig<TInput, TEnv, TResult>, DurableObjectOption {}

/**
 * Creates a worker; with `durableObject`, one that forwards every request to the object. Typed as
 * the core's `start` types it, since the object runs the same config.
 */
export const start: StartFunction<DurableObjectOption> = (config) => {
  const { durableObject, ...rest } = config
  if (rest.refreshWorker || rest.refresh_worker) {
    console.warn('edgepod: refresh_worker does nothing on Workers: an isolate is not a process that a supervisor restarts')
  }
  if (durableObject === undefined) return startInMemory(rest as WorkerConfig) as never
  resolveConfig(rest as WorkerConfig) // the same checks, at start-up
  registerDurableWorker(rest as WorkerConfig, durableObject)
  // Typed by the declared type: the object runs the same config.
  return forwardingWorker(durableObject) as never
}

/**
 * `serverless.start` on Cloudflare Workers: the core's, plus the `durableObject` option, which
 * keeps the deployment's jobs in edgepod's Durable Object instead of one isolate's memory.
 * @module
 */
import type { HandlerOutputOf, WorkerConfig } from '../../config.ts'
import { resolveConfig } from '../../config.ts'
import { start as startInMemory } from '../../serverless.ts'
import type { Worker } from '../../serverless.ts'
import { registerDurableWorker } from './durable-registry.ts'
import { forwardingWorker } from './forwarding-worker.ts'

/** The options of a worker on Cloudflare Workers. */
export interface CloudflareWorkerConfig<TInput = any, TEnv = any, TResult = unknown> extends WorkerConfig<TInput, TEnv, TResult> {
  /**
   * Keep jobs in edgepod's Durable Object, bound under this name (with the class `EdgepodJobs`
   * exported from the same module), instead of one isolate's memory.
   */
  durableObject?: string | undefined
}

/** Creates a worker; with `durableObject`, one that forwards every request to the object. */
export function start<TInput = any, TEnv = any, TResult = unknown>(
  config: CloudflareWorkerConfig<TInput, TEnv, TResult>
): Worker<TEnv, TInput, HandlerOutputOf<TResult>> {
  const { durableObject, ...rest } = config
  if (durableObject === undefined) return startInMemory(rest)
  resolveConfig(rest as WorkerConfig) // the same checks, at start-up
  registerDurableWorker(rest as WorkerConfig)
  return forwardingWorker(durableObject)
}

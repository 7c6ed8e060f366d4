/**
 * `serverless.start` on Cloudflare Workers: the core's, plus the `durableObject` option, which
 * keeps the deployment's jobs in edgepod's Durable Object instead of one isolate's memory.
 * @module
 */
import type { WorkerConfig } from '../../config.ts'
import { resolveConfig } from '../../config.ts'
import { start as startInMemory } from '../../serverless.ts'
import type { WorkerOf } from '../../serverless.ts'
import { registerDurableWorker } from './durable-registry.ts'
import { forwardingWorker } from './forwarding-worker.ts'

/** The options of a worker on Cloudflare Workers (the type parameters are {@link WorkerConfig}'s). */
export interface CloudflareWorkerConfig<
  TInput = any,
  TEnv = any,
  TResult = unknown,
  TRequestInput = unknown,
  TAggregate = unknown,
  TReduced = unknown,
  TReturnAggregateStream = unknown,
  TReturnAggregateStreamRunPod = unknown,
> extends WorkerConfig<TInput, TEnv, TResult, TRequestInput, TAggregate, TReduced, TReturnAggregateStream, TReturnAggregateStreamRunPod> {
  /**
   * Keep jobs in edgepod's Durable Object, bound under this name (with the class `EdgepodJobs`
   * exported from the same module), instead of one isolate's memory.
   */
  durableObject?: string | undefined
}

/**
 * Creates a worker; with `durableObject`, one that forwards every request to the object. Typed as
 * the core's `start` types it, since the object runs the same config.
 */
export function start<
  TInput = any,
  TEnv = any,
  TResult = unknown,
  TRequestInput = unknown,
  TAggregate = unknown,
  TReduced = unknown,
  TReturnAggregateStream = unknown,
  TReturnAggregateStreamRunPod = unknown,
>(
  config: CloudflareWorkerConfig<TInput, TEnv, TResult, TRequestInput, TAggregate, TReduced, TReturnAggregateStream, TReturnAggregateStreamRunPod>
): WorkerOf<TInput, TEnv, TResult, TRequestInput, TAggregate, TReduced, TReturnAggregateStream, TReturnAggregateStreamRunPod> {
  const { durableObject, ...rest } = config
  if (durableObject === undefined) return startInMemory(rest as WorkerConfig) as never
  resolveConfig(rest as WorkerConfig) // the same checks, at start-up
  registerDurableWorker(rest as WorkerConfig)
  // Typed by the declared return type: the object runs the same config.
  return forwardingWorker(durableObject) as never
}

/**
 * How edgepod's Durable Objects find the worker they serve. The class is exported from the same
 * module as `serverless.start(...)`, so it runs in the same isolate: start() leaves its config and
 * the binding's name here, and each object builds its engine from them.
 * @module
 */
import type { WorkerConfig } from '../../config.ts'

/** The worker of the module, and the binding its objects are reached through. */
export interface DurableWorker {
  config: WorkerConfig
  binding: string
}

let registered: DurableWorker | undefined

/** Called by `serverless.start` when the config names a Durable Object binding. */
export function registerDurableWorker(config: WorkerConfig, binding: string): void {
  registered = { config, binding }
}

/** The module's worker; throws when the module never called `serverless.start`. */
export function registeredDurableWorker(): DurableWorker {
  if (!registered) {
    throw new Error(
      'edgepod: EdgepodJobs found no worker: export it from the module that calls serverless.start({ handler, durableObject: "EDGEPOD_JOBS" })'
    )
  }
  return registered
}

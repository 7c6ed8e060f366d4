/**
 * How edgepod's Durable Object finds the worker it serves. The object's class is exported from the
 * same module as `serverless.start(...)`, so it runs in the same isolate: start() leaves its config
 * here, and the object builds its engine from it.
 * @module
 */
import type { WorkerConfig } from '../../config.ts'

let registered: WorkerConfig | undefined

/** Called by `serverless.start` when the config names a Durable Object binding. */
export function registerDurableWorker(config: WorkerConfig): void {
  registered = config
}

/** The config of the module's worker; throws when the module never called `serverless.start`. */
export function registeredDurableWorker(): WorkerConfig {
  if (!registered) {
    throw new Error(
      'edgepod: EdgepodJobs found no worker: export it from the module that calls serverless.start({ handler, durableObject: "EDGEPOD_JOBS" })'
    )
  }
  return registered
}

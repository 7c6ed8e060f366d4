/**
 * What each job carries from the request that submitted (or retried) it, in this process only: the
 * runtime's bindings (`job.env`) and its execution context, which on Workers is kept alive until
 * the job has ended and its handler has finished.
 * @module
 */
import type { ExecutionContextLike } from '../types.ts'
import type { JobContext } from './executor.ts'

/** The context of a job submitted without one (Node, Bun, Deno, or from another process). */
const NO_CONTEXT: JobContext = Object.freeze({ env: undefined, executionCtx: undefined })

/** The contexts of the jobs of this process. */
export class JobContexts {
  readonly #contexts = new Map<string, JobContext>()

  /** Keeps the context a job was submitted with; nothing is kept for one without (most jobs off Workers). */
  set(id: string, env: unknown, executionCtx: ExecutionContextLike | undefined): void {
    if (env !== undefined || executionCtx !== undefined) this.#contexts.set(id, { env, executionCtx })
    else if (this.#contexts.size > 0) this.#contexts.delete(id)
  }

  /** The job's context; an empty one when it has none here. */
  of(id: string): JobContext {
    return this.#contexts.get(id) ?? NO_CONTEXT
  }

  /** The job is gone. */
  delete(id: string): void {
    this.#contexts.delete(id)
  }

  /**
   * On Workers the isolate may stop once the response is sent: keeps it until `ended` (the attempt
   * has ended) and then `released()` (its handler has finished, or run out of cleanup time), since
   * a cancelled handler's `finally` may wait on its own timers, which workerd drops with the
   * request's context.
   */
  hold(executionCtx: ExecutionContextLike | undefined, ended: () => Promise<void>, released: () => Promise<void> | undefined): void {
    if (executionCtx) executionCtx.waitUntil(ended().then(released))
  }
}

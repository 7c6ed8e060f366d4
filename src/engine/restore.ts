/**
 * Restore: a store that outlives its process (a Durable Object's storage) hands its jobs back to a
 * new engine. A job that was running has lost its handler: it ends `FAILED` (with what it had
 * streamed), and `/retry` runs it again. Queued jobs queue again, oldest first; ended ones stay
 * until their retention runs out.
 * @module
 */
import { jobErrors } from '../errors.ts'
import type { Store } from '../store/store.ts'
import type { JobState } from '../store/job-state.ts'

/** What restoring tells the engine. */
export interface RestoreHooks {
  /** The engine holds the job again: its context and its deadline. */
  held(job: JobState): void
  /** The restore ended the job (it was running). */
  ended(job: JobState): void
}

/** Queues, ends or keeps each restored job, in the order of its queueing. */
export async function restoreJobs(store: Store, restored: readonly JobState[], hooks: RestoreHooks): Promise<void> {
  const { jobs, dispatcher } = store
  for (const job of [...restored].sort((a, b) => a.attempt.queuedAt - b.attempt.queuedAt)) {
    hooks.held(job)
    const { number, status } = job.attempt
    if (status === 'IN_QUEUE') {
      await dispatcher.enqueue({ id: job.id, attempt: number, lowPriority: job.request.policy?.lowPriority === true }, Infinity)
    } else if (status === 'IN_PROGRESS') {
      const ended = await jobs.finish(job.id, number, { status: 'FAILED', error: jobErrors.restarted(), finishedAt: Date.now() })
      if (ended) hooks.ended(ended)
    }
  }
}

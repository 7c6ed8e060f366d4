/**
 * Retention: how long a job is kept, and what happens at each deadline. A queued job whose ttl
 * passes ends `TIMED_OUT`; an ended job is kept until its ttl, and one that ended past it a little
 * while after its end; a running job is never deleted, and is the executor's to watch (its
 * execution timeout). One timer for all of them.
 * @module
 */
import type { JobState } from '../store/job-state.ts'
import { hasEnded, retainedUntil } from '../store/job-state.ts'
import { Deadlines } from './deadlines.ts'

/** The defaults a job's policy falls back to, ms. */
export interface RetentionDefaults {
  ttl: number
  executionTimeout: number
  resultRetention: number
  syncResultRetention: number
}

/** What retention does when a deadline comes. */
export interface RetentionActions {
  /** The ttl of a queued job passed: end it `TIMED_OUT`. */
  expire(id: string, attempt: number): void
  /** The job's retention ran out: delete it. */
  remove(id: string): void
}

/** The job's ttl, ms. */
export function ttlOf(job: JobState, defaults: RetentionDefaults): number {
  return job.request.policy?.ttl ?? defaults.ttl
}

/** How long the job's result is kept after its end: a caller that waited for it reads it at once. */
export function keepOf(origin: JobState['origin'], defaults: Pick<RetentionDefaults, 'resultRetention' | 'syncResultRetention'>): number {
  return origin === 'sync' || origin === 'openai' ? defaults.syncResultRetention : defaults.resultRetention
}

/** When an ended job is deleted: `keep` after its end within its ttl, or a little after its end when it ended past it. */
export function deleteAtOf(job: JobState, defaults: RetentionDefaults): number {
  const { queuedAt, finishedAt = queuedAt } = job.attempt
  return retainedUntil(queuedAt, finishedAt, ttlOf(job, defaults), keepOf(job.origin, defaults))
}

/** What a job's deadline does when it comes: end its queued attempt, or delete it. */
type Due = { kind: 'expire'; attempt: number } | { kind: 'remove' }

const REMOVE: Due = { kind: 'remove' }

/** The deadlines of the queued and ended jobs this process holds, on one timer (deadlines.ts). */
export class Retention {
  readonly #defaults: RetentionDefaults
  readonly #deadlines: Deadlines<string, Due>

  constructor(defaults: RetentionDefaults, actions: RetentionActions) {
    this.#defaults = defaults
    this.#deadlines = new Deadlines((id, due) => (due.kind === 'expire' ? actions.expire(id, due.attempt) : actions.remove(id)))
  }

  /** How many queued and ended jobs are held. */
  get size(): number {
    return this.#deadlines.size
  }

  /**
   * (Re)arms the job's deadline for its state now: call it whenever its attempt moves. A running
   * job has none here: the executor that runs it times it out.
   */
  track(job: JobState): void {
    const { id, attempt } = job
    if (attempt.status === 'IN_QUEUE') this.#deadlines.set(id, attempt.queuedAt + ttlOf(job, this.#defaults), { kind: 'expire', attempt: attempt.number })
    else if (hasEnded(attempt)) this.#deadlines.set(id, deleteAtOf(job, this.#defaults), REMOVE)
    else this.#deadlines.delete(id)
  }

  /** Forgets the job's deadline (it is deleted). */
  forget(id: string): void {
    this.#deadlines.delete(id)
  }

  /** The earliest deadline of a queued or ended job, or undefined with none. */
  nextDeadline(): number | undefined {
    return this.#deadlines.next()
  }
}

/**
 * Retention: how long a job is kept, and what happens at each deadline. A queued job whose ttl
 * passes ends `TIMED_OUT`; an ended job is kept until its ttl, and one that ended past it a little
 * while after its end; a running job is never deleted, and is the executor's to watch (its
 * execution timeout). One timer per job at most, none while it runs.
 * @module
 */
import type { JobState } from '../store/job-state.ts'
import { hasEnded, retainedUntil } from '../store/job-state.ts'
import { cancelTimer, startTimer } from './timers.ts'

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

/** The deadlines of the queued and ended jobs this process holds. */
export class Retention {
  readonly #defaults: RetentionDefaults
  readonly #actions: RetentionActions
  readonly #deadlines = new Map<string, { at: number; timer: unknown }>()

  constructor(defaults: RetentionDefaults, actions: RetentionActions) {
    this.#defaults = defaults
    this.#actions = actions
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
    const known = this.#deadlines.get(id)
    if (known) cancelTimer(known.timer)
    let at: number
    let timer: unknown
    if (attempt.status === 'IN_QUEUE') {
      const number = attempt.number
      at = attempt.queuedAt + ttlOf(job, this.#defaults)
      timer = startTimer(() => this.#actions.expire(id, number), at - Date.now())
    } else if (hasEnded(attempt)) {
      at = deleteAtOf(job, this.#defaults)
      timer = startTimer(() => this.#actions.remove(id), at - Date.now())
    } else {
      if (known) this.#deadlines.delete(id)
      return
    }
    if (known) {
      known.at = at
      known.timer = timer
    } else this.#deadlines.set(id, { at, timer })
  }

  /** Forgets the job's deadline (it is deleted). */
  forget(id: string): void {
    cancelTimer(this.#deadlines.get(id)?.timer)
    this.#deadlines.delete(id)
  }

  /** The earliest deadline of a queued or ended job, or undefined with none. */
  nextDeadline(): number | undefined {
    let next: number | undefined
    for (const { at } of this.#deadlines.values()) if (next === undefined || at < next) next = at
    return next
  }
}

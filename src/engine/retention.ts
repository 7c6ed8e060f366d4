/**
 * Retention: how long a job is kept, and what happens at each deadline. A queued job whose ttl
 * passes ends `TIMED_OUT`; an ended job is kept until its ttl, and one that ended past it a little
 * while after its end; a running job is never deleted. One timer per job at most, none while it runs.
 * @module
 */
import type { JobState } from '../store/job-state.ts'
import { hasEnded } from '../store/job-state.ts'
import { LATE_RESULT_RETENTION } from '../limits.ts'
import { cancelTimer, startTimer } from './timers.ts'

/** The defaults a job's policy falls back to, ms. */
export interface RetentionDefaults {
  ttl: number
  executionTimeout: number
}

/** What retention does when a deadline comes. */
export interface RetentionActions {
  /** The ttl of a queued job passed: end it `TIMED_OUT`. */
  expire(id: string, attempt: number): void
  /** The job's retention ran out: delete it. */
  remove(id: string): void
}

/** A job's next deadline: when, and what happens then (nothing, for a running job's own timeout). */
interface Deadline {
  at: number
  action: 'expire' | 'remove' | 'none'
}

/** The job's ttl, ms. */
export function ttlOf(job: JobState, defaults: RetentionDefaults): number {
  return job.request.policy?.ttl ?? defaults.ttl
}

/** When an ended job is deleted: at its ttl, or a little after its end when it ended past it. */
export function deleteAtOf(job: JobState, defaults: RetentionDefaults): number {
  const { queuedAt, finishedAt = queuedAt } = job.attempt
  const ttl = ttlOf(job, defaults)
  const expiresAt = queuedAt + ttl
  // RunPod keeps sync results a minute: a job that ended past its ttl is still there to read.
  return finishedAt >= expiresAt ? finishedAt + Math.min(LATE_RESULT_RETENTION, ttl) : expiresAt
}

function deadlineOf(job: JobState, defaults: RetentionDefaults): Deadline {
  const attempt = job.attempt
  const expiresAt = attempt.queuedAt + ttlOf(job, defaults)
  if (attempt.status === 'IN_QUEUE') return { at: expiresAt, action: 'expire' }
  if (!hasEnded(attempt)) {
    // Its execution timeout is the executor's; a store that outlives the process wakes for it.
    const timeout = job.request.policy?.executionTimeout ?? defaults.executionTimeout
    return { at: Math.min(expiresAt, (attempt.startedAt ?? attempt.queuedAt) + timeout), action: 'none' }
  }
  return { at: deleteAtOf(job, defaults), action: 'remove' }
}

/** The deadlines of every job this process holds. */
export class Retention {
  readonly #defaults: RetentionDefaults
  readonly #actions: RetentionActions
  readonly #deadlines = new Map<string, { at: number; timer: unknown }>()

  constructor(defaults: RetentionDefaults, actions: RetentionActions) {
    this.#defaults = defaults
    this.#actions = actions
  }

  /** How many jobs are held: every job from its creation until its deletion. */
  get size(): number {
    return this.#deadlines.size
  }

  /** (Re)arms the job's deadline for its state now: call it whenever its attempt moves. */
  track(job: JobState): void {
    const { at, action } = deadlineOf(job, this.#defaults)
    const known = this.#deadlines.get(job.id)
    cancelTimer(known?.timer)
    const attempt = job.attempt.number
    let timer: unknown
    if (action === 'expire') timer = startTimer(() => this.#actions.expire(job.id, attempt), at - Date.now())
    else if (action === 'remove') timer = startTimer(() => this.#actions.remove(job.id), at - Date.now())
    this.#deadlines.set(job.id, { at, timer })
  }

  /** Forgets the job's deadline (it is deleted). */
  forget(id: string): void {
    cancelTimer(this.#deadlines.get(id)?.timer)
    this.#deadlines.delete(id)
  }

  /**
   * The earliest deadline of any job held, or undefined with none. A Durable Object sets its alarm
   * to it, so that an object evicted between requests still expires jobs and times out running ones.
   */
  nextDeadline(): number | undefined {
    let next: number | undefined
    for (const { at } of this.#deadlines.values()) if (next === undefined || at < next) next = at
    return next
  }
}

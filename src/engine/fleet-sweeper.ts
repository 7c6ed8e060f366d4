/**
 * What each member of a fleet does for the others, every third of a lease: it tells the store its
 * slots (for `/health`), and ends the attempts that members which are gone, or late, left behind:
 * `FAILED` with `worker_lost` for a lease that ran out, `TIMED_OUT` for an execution deadline or a
 * queued ttl that passed. The store's finish ends each once, whoever of the members finds it.
 * @module
 */
import { jobErrors } from '../errors.ts'
import type { Dispatcher, DueAttempt, JobStore, WorkerCounts } from '../store/store.ts'
import type { Ending, JobState } from '../store/job-state.ts'

/** The dispatcher of a store shared by processes: one that sweeps. */
export type SweepingDispatcher = Dispatcher & Required<Pick<Dispatcher, 'sweep'>>

/** What the sweeper works with. */
export interface SweeperDeps {
  jobs: JobStore
  dispatcher: SweepingDispatcher
  /** This process's slots now. */
  local(): WorkerCounts
  /** A job's ttl and execution timeout, as the engine applies them. */
  limitsOf(job: JobState): { ttl: number; executionTimeout: number }
  /** This process ended an attempt. */
  ended(job: JobState): void
}

/** Sweeps a shared store on a timer, from this member. */
export class FleetSweeper {
  readonly #deps: SweeperDeps
  readonly #intervalMs: number
  #timer: ReturnType<typeof setTimeout> | undefined
  #closed = false

  constructor(deps: SweeperDeps) {
    this.#deps = deps
    this.#intervalMs = deps.dispatcher.leaseMs / 3
    // At once first: the member's slots count in /health from its start, and what a fleet left
    // while no member ran is ended without waiting.
    this.#later(0)
  }

  /** Stops sweeping. */
  close(): void {
    this.#closed = true
    clearTimeout(this.#timer)
  }

  #later(delayMs = this.#intervalMs): void {
    if (this.#closed) return
    this.#timer = setTimeout(() => void this.#sweep().finally(() => this.#later()), delayMs)
    ;(this.#timer as { unref?: () => void }).unref?.()
  }

  async #sweep(): Promise<void> {
    let due: DueAttempt[]
    try {
      due = await this.#deps.dispatcher.sweep(this.#deps.local())
    } catch {
      // The store is unreachable: the next sweep looks again.
      return
    }
    await Promise.all(due.map((attempt) => this.#end(attempt).catch(() => {})))
  }

  async #end({ id, attempt, reason }: DueAttempt): Promise<void> {
    const { jobs, dispatcher } = this.#deps
    const job = await jobs.get(id)
    if (!job || job.attempt.number !== attempt) return
    const limits = this.#deps.limitsOf(job)
    const finishedAt = Date.now()
    const ending: Ending =
      reason === 'ttl'
        ? { status: 'TIMED_OUT', error: jobErrors.ttlExpired(limits.ttl), finishedAt, queuedOnly: true }
        : reason === 'timeout'
          ? { status: 'TIMED_OUT', error: jobErrors.executionTimeout(limits.executionTimeout), finishedAt }
          : { status: 'FAILED', error: jobErrors.workerLost(dispatcher.leaseMs), finishedAt }
    const ended = await jobs.finish(id, attempt, ending)
    if (!ended) return
    this.#deps.ended(ended)
    // A member that stalled and wakes hears at once that its attempt is over.
    if (reason !== 'ttl') await dispatcher.deliverCancel(id, attempt)
  }
}

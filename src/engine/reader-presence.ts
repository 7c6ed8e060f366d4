/**
 * Readers' presence: a `POST /stream` job belongs to its reader, and when every reader has been
 * gone for the disconnect grace it is cancelled; a reader that comes back within it (resuming with
 * `Last-Event-ID`) keeps it. The count of readers lives in the store, so that a reader on any
 * process counts; the grace timer lives in the process where the last reader left.
 * @module
 */
import { whenReady } from '../awaitable.ts'
import type { JobStore } from '../store/store.ts'
import type { JobState } from '../store/job-state.ts'
import { hasEnded } from '../store/job-state.ts'
import { cancelTimer, startTimer } from './timers.ts'

/** Counts readers and runs the disconnect grace of the jobs they read. */
export class ReaderPresence {
  readonly #jobs: JobStore
  readonly #grace: number
  readonly #cancel: (id: string, message: string) => void
  readonly #timers = new Map<string, unknown>()

  /** `cancel(id, message)` ends a job whose readers stayed away for `grace` ms. */
  constructor(jobs: JobStore, grace: number, cancel: (id: string, message: string) => void) {
    this.#jobs = jobs
    this.#grace = grace
    this.#cancel = cancel
  }

  /** A reader arrived: any grace period running for the job stops. */
  attach(job: JobState): void {
    this.#stopGrace(job.id)
    void this.#jobs.readers(job.id, 1)
  }

  /** A reader left; when it was the last one of a `POST /stream` job, the grace period starts. */
  detach(job: JobState): void {
    void whenReady(this.#jobs.readers(job.id, -1), (readers) => {
      if (readers <= 0) this.#startGrace(job)
    })
  }

  /** A polled read counts as interest: it restarts a running grace period. */
  touch(job: JobState): void {
    if (!this.#timers.has(job.id)) return
    this.#stopGrace(job.id)
    this.#startGrace(job)
  }

  /** The job ended or is gone: no grace period runs for it any more. */
  ended(id: string): void {
    this.#stopGrace(id)
  }

  #startGrace(job: JobState): void {
    if (job.origin === 'run' || job.origin === 'sync' || hasEnded(job.attempt)) return
    // An OpenAI client never resumes: its leaving ends the job at once.
    const grace = job.origin === 'openai' ? 0 : this.#grace
    if (grace === Infinity) return
    const message = job.origin === 'openai' ? 'cancelled: its OpenAI client left' : `cancelled: no reader for ${grace} ms`
    if (grace <= 0) return this.#cancel(job.id, message)
    this.#stopGrace(job.id)
    this.#timers.set(
      job.id,
      startTimer(() => {
        this.#timers.delete(job.id)
        void whenReady(this.#jobs.readers(job.id, 0), (readers) => {
          if (readers === 0) this.#cancel(job.id, message)
        })
      }, grace)
    )
  }

  #stopGrace(id: string): void {
    const timer = this.#timers.get(id)
    if (timer === undefined) return
    cancelTimer(timer)
    this.#timers.delete(id)
  }
}

/**
 * What an SSE stream reads: one job's log, through its store. A fake of it is all a byte-exact test
 * of the stream needs.
 * @module
 */
import type { Awaitable } from '../../awaitable.ts'
import type { JobStore, LogRead } from '../../store/store.ts'

/** One job's log, as a reader sees it. */
export interface JobLog {
  /** The events after `after`, up to about `maxChars` of JSON; undefined once the job is gone. */
  read(after: number, maxChars: number): Awaitable<LogRead | undefined>
  /** Calls `wake` once when there is news after `after` (at once if there is). */
  watch(after: number, wake: () => void): void
  /** Stops watching with `wake`, if it has not woken yet. */
  unwatch(wake: () => void): void
}

/** The log of job `id` in `jobs`. */
export function jobLogOf(jobs: JobStore, id: string): JobLog {
  return {
    read: (after, maxChars) => jobs.read(id, after, maxChars),
    watch: (after, wake) => jobs.watch(id, after, wake),
    unwatch: (wake) => jobs.unwatch(id, wake),
  }
}

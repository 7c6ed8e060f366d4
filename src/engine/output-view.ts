/**
 * A job's `output` as `/status` shows it: a plain handler's one value, or a stream's aggregate
 * (RunPod's array, `[]` without aggregation, a string or a reducer's result), read from where it is
 * kept: the attempt's state, the running handler in this process, or the log.
 * @module
 */
import { isPromiseLike } from '../awaitable.ts'
import type { Awaitable, JobStore, LogRead } from '../store/store.ts'
import type { Attempt, JobState } from '../store/job-state.ts'
import { hasEnded } from '../store/job-state.ts'
import type { Aggregation } from './aggregate.ts'
import { aggregateOfLog, isFolded } from './aggregate.ts'

/** The fewest events of an ended attempt whose output is kept once worked out. */
const KEEP_FROM_EVENTS = 256

/** Reads the output of jobs. */
export class OutputView {
  readonly #aggregation: Aggregation
  readonly #jobs: JobStore
  readonly #running: (id: string, attempt: number) => string | undefined
  /**
   * The output of ended attempts, worked out once: an attempt that has ended never changes. Keyed
   * by the attempt's state object, so that it goes when the store lets the attempt go.
   */
  readonly #ended = new WeakMap<Attempt, string | null>()

  /** `running(id, attempt)` is the folded aggregate of an attempt running in this process. */
  constructor(aggregation: Aggregation, jobs: JobStore, running: (id: string, attempt: number) => string | undefined) {
    this.#aggregation = aggregation
    this.#jobs = jobs
    this.#running = running
  }

  /** The output's JSON, or undefined while there is none (or a reducer's result JSON cannot carry). */
  jsonOf(job: JobState): Awaitable<string | undefined> {
    const attempt = job.attempt
    if (attempt.outputJson !== undefined) return attempt.outputJson
    if (attempt.kind !== 'stream') return undefined
    if (this.#aggregation === 'none') return '[]'
    const ended = hasEnded(attempt)
    if (ended) {
      const known = this.#ended.get(attempt)
      if (known !== undefined) return known ?? undefined
    } else if (isFolded(this.#aggregation)) {
      const live = this.#running(job.id, attempt.number)
      if (live !== undefined) return live
    }
    const read = this.#jobs.read(job.id, attempt.baseSeq)
    if (!isPromiseLike(read)) return this.#fromLog(attempt, ended, read)
    return Promise.resolve(read).then((found) => this.#fromLog(attempt, ended, found))
  }

  /** The output worked out from the attempt's log; kept when the attempt has ended. */
  #fromLog(attempt: Attempt, ended: boolean, found: LogRead | undefined): string | undefined {
    const types = found?.types ?? []
    const json = aggregateOfLog(this.#aggregation, types, found?.jsons ?? [])
    // Worth keeping only where working it out again costs: a weak map entry for every small job
    // would cost the garbage collector more than it saves.
    if (ended && types.length > KEEP_FROM_EVENTS) this.#ended.set(attempt, json ?? null)
    return json
  }
}

/**
 * The writer of one running attempt in the in-memory store. It holds the job's entry itself, so a
 * token stream's append per yield is a few field writes, with no lookup; the lease is the token
 * the entry holds while the attempt runs, cleared when anyone ends it.
 * @module
 */
import { utf8Length } from '../../utf8-length.ts'
import type { AttemptWriter } from '../store.ts'
import type { EventBatch, Ending, JobState, Lease } from '../job-state.ts'
import type { MemoryJob, MemoryJobs } from './memory-jobs.ts'

/** Writes one attempt of a job of a {@link MemoryJobs}, while its lease holds. */
export class MemoryAttemptWriter implements AttemptWriter {
  readonly lease: Lease
  readonly job: JobState
  readonly #jobs: MemoryJobs
  readonly #entry: MemoryJob

  constructor(jobs: MemoryJobs, entry: MemoryJob, lease: Lease) {
    this.#jobs = jobs
    this.#entry = entry
    this.lease = lease
    this.job = entry.state
  }

  /** True while the store still runs this attempt under this writer's lease. */
  get #holds(): boolean {
    return this.#entry.token === this.lease.token
  }

  streaming(): boolean {
    if (!this.#holds) return false
    this.#entry.state.attempt.kind = 'stream'
    return true
  }

  append(batch: EventBatch): boolean {
    if (!this.#holds) return false
    const { types, jsons } = batch
    const entry = this.#entry
    entry.log.appendAll(types, jsons)
    const attempt = entry.state.attempt
    attempt.lastSeq = entry.log.lastSeq
    for (let index = types.length - 1; index >= 0; index--) {
      if (types[index] !== 'progress') continue
      attempt.progressJson = jsons[index]
      break
    }
    return true
  }

  outputBytesFrom(index: number): number {
    const { log } = this.#entry
    let bytes = 0
    let outputs = 0
    for (let seq = log.baseSeq + 1; seq <= log.lastSeq; seq++) {
      if (log.typeAt(seq) !== 'output') continue
      if (outputs++ >= index) bytes += utf8Length(log.jsonAt(seq)) + 1
    }
    return bytes
  }

  finish(ending: Ending): JobState | undefined {
    return this.#jobs.finishEntry(this.#entry, this.lease.attempt, ending, this.lease.token)
  }
}

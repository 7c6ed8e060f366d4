/**
 * The writer of one attempt running in this member, in Redis. Every write carries the lease
 * token, which the job's script checks (fencing). A write Redis cannot take now (it restarts, the
 * connection dropped) is tried again until a lease would have run out: a short outage pauses the
 * handler instead of losing its outputs, and past that the attempt is another member's to end.
 * @module
 */
import { isStoreUnavailable } from '../../errors.ts'
import { utf8Length } from '../../utf8-length.ts'
import type { AttemptWriter } from '../store.ts'
import type { EventBatch, Ending, JobState, Lease } from '../job-state.ts'
import type { RedisContext, RedisJobs } from './redis-jobs.ts'
import { APPEND, STREAMING } from './scripts-attempt.ts'
import { encodeBatch, forEachEvent } from './log-entries.ts'
import type { LogEntry } from './log-entries.ts'

/** The first pause before a write is tried again, ms; it doubles up to {@link MAX_PAUSE_MS}. */
const FIRST_PAUSE_MS = 25
const MAX_PAUSE_MS = 1_000

/** Writes one attempt of a job in Redis, while its lease holds. */
export class RedisAttemptWriter implements AttemptWriter {
  readonly lease: Lease
  readonly job: JobState
  readonly #context: RedisContext
  readonly #jobs: RedisJobs

  constructor(context: RedisContext, jobs: RedisJobs, lease: Lease, job: JobState) {
    this.#context = context
    this.#jobs = jobs
    this.lease = lease
    this.job = job
  }

  streaming(): Promise<boolean> {
    const { lease } = this
    return this.#retrying(async () => (await this.#context.client.run(STREAMING, [this.#context.prefix, lease.id, lease.attempt, lease.token])) === 1)
  }

  append(batch: EventBatch): Promise<boolean> {
    const { lease } = this
    const { types, jsons } = batch
    // The caller may reuse the batch once this returns: its events are copied into the arguments now.
    const progress = types.lastIndexOf('progress')
    const args = [this.#context.keys.bell, this.#context.prefix, lease.id, lease.attempt, lease.token, types.length, ...encodeBatch(types, jsons)]
    args.push(progress < 0 ? '' : jsons[progress]!)
    return this.#retrying(async () => {
      const last = Number(await this.#context.client.run(APPEND, args))
      if (last === 0) return false
      this.#jobs.watchers.moved(lease.id, { last, ended: false })
      return true
    })
  }

  async outputBytesFrom(index: number): Promise<number> {
    const entries = (await this.#context.client.command('XRANGE', [this.#context.keys.log(this.lease.id), '-', '+'])) as LogEntry[]
    let bytes = 0
    let outputs = 0
    forEachEvent(entries, (_, type, json) => {
      if (type === 'output' && outputs++ >= index) bytes += utf8Length(json) + 1
    })
    return bytes
  }

  finish(ending: Ending): Promise<JobState | undefined> {
    return this.#retrying(() => this.#jobs.finishUnder(this.lease.id, this.lease.attempt, ending, this.lease.token))
  }

  /** Runs `write`, again after a pause while Redis is unavailable, for up to a lease's length. */
  async #retrying<T>(write: () => Promise<T>): Promise<T> {
    const giveUpAt = Date.now() + this.#context.leaseMs
    let pause = FIRST_PAUSE_MS
    for (;;) {
      try {
        return await write()
      } catch (error) {
        if (!isStoreUnavailable(error) || Date.now() + pause > giveUpAt) throw error
      }
      await new Promise((resolve) => setTimeout(resolve, pause))
      pause = Math.min(pause * 2, MAX_PAUSE_MS)
    }
  }
}

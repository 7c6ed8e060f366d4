/**
 * The job part of the Redis store: every job of a deployment, its attempt and its log, shared by
 * every member. Each method is one script (atomic); states are handed out as copies.
 * @module
 */
import { LATE_RESULT_RETENTION } from '../../limits.ts'
import type { AttemptWriter, JobStore, LogRead } from '../store.ts'
import type { Ending, JobState, Lease, NewJob } from '../job-state.ts'
import { hasEnded, retainedUntil } from '../job-state.ts'
import { statusJsonOf } from '../status-json.ts'
import type { JobHash } from './job-hash.ts'
import { jobHashOf } from './job-hash.ts'
import type { RedisKeys } from './keys.ts'
import type { RedisClient, RedisReply, RedisScript } from './redis-client.ts'
import { FINISH, START } from './scripts-attempt.ts'
import { CREATE, DELETE, MARK_DRAINED, POSITIONS, READ, READERS, RETRY } from './scripts-job.ts'
import type { Position } from './watchers.ts'
import { Watchers } from './watchers.ts'
import { logReadOf } from './log-entries.ts'
import type { LogEntry } from './log-entries.ts'
import { RedisAttemptWriter } from './redis-writer.ts'

/**
 * The log entries one read takes at most: batches, each of one append (a turn of a producer's
 * yields, or one slow token); what a chunk cannot hold is read again by the next.
 */
const READ_ENTRIES = 32

/** What the job part shares with the rest of the store. */
export interface RedisContext {
  readonly client: RedisClient
  readonly keys: RedisKeys
  /** The keys' prefix, as scripts take it first. */
  readonly prefix: string
  readonly leaseMs: number
  /** How long after its execution deadline a running attempt is left to its own member, ms. */
  readonly deadlineGraceMs: number
}

/** How many times a finish is computed again when the job changed under it (a progress report). */
const FINISH_ATTEMPTS = 16

/** The jobs of a deployment, in Redis. */
export class RedisJobs implements JobStore {
  readonly watchers: Watchers
  readonly #context: RedisContext

  constructor(context: RedisContext, pollMs: number) {
    this.#context = context
    this.watchers = new Watchers((ids) => this.#positions(ids), pollMs)
  }

  #run(script: RedisScript, args: ReadonlyArray<string | number>): Promise<RedisReply> {
    return this.#context.client.run(script, args)
  }

  async create(job: NewJob): Promise<JobState> {
    const { keys, prefix } = this.#context
    const request = job.request
    // Kept a little past its ttl even if no member is left to end it TIMED_OUT.
    const expireAt = job.queuedAt + job.ttl + LATE_RESULT_RETENTION
    const reply = await this.#run(CREATE, [
      ...[keys.counts, keys.expiries, prefix, job.id, JSON.stringify(request), job.origin],
      ...[job.queuedAt, job.ttl, job.executionTimeout, request.webhook ? 1 : 0, expireAt, this.#context.leaseMs, job.keep],
    ])
    return jobHashOf(job.id, reply)!.state
  }

  async get(id: string): Promise<JobState | undefined> {
    return (await this.hash(id))?.state
  }

  /** The job with what only this store needs of it. */
  async hash(id: string): Promise<JobHash | undefined> {
    return jobHashOf(id, await this.#context.client.command('HGETALL', [this.#context.keys.job(id)]))
  }

  async read(id: string, after: number, maxChars = Number.MAX_SAFE_INTEGER): Promise<LogRead | undefined> {
    const budget = Math.min(maxChars, Number.MAX_SAFE_INTEGER)
    const reply = (await this.#run(READ, [this.#context.prefix, id, after, READ_ENTRIES, budget])) as [number, number, number, LogEntry[]?] | null
    if (!reply) return undefined
    return logReadOf(Number(reply[0]), Number(reply[1]), reply[2] === 1, reply[3] ?? [], maxChars)
  }

  watch(id: string, after: number, wake: () => void): void {
    this.watchers.watch(id, after, wake)
  }

  unwatch(id: string, wake: () => void): void {
    this.watchers.unwatch(id, wake)
  }

  watchEnd(id: string, wake: () => void): () => void {
    return this.watchers.watchEnd(id, wake)
  }

  async start(lease: Lease, workerId: string, startedAt: number): Promise<AttemptWriter | undefined> {
    const { keys, prefix, leaseMs, deadlineGraceMs } = this.#context
    const args = [keys.counts, keys.leases, keys.expiries, prefix, lease.id, lease.attempt, lease.token, workerId, startedAt, leaseMs, deadlineGraceMs]
    const reply = await this.#run(START, args)
    const started = jobHashOf(lease.id, reply)
    return started && new RedisAttemptWriter(this.#context, this, lease, started.state)
  }

  finish(id: string, attempt: number, ending: Ending): Promise<JobState | undefined> {
    return this.finishUnder(id, attempt, ending, '')
  }

  /**
   * Ends attempt `attempt` once, under lease `token` ('' for anyone). The `done` event is the status
   * object as the job will be: computed here from the job as read, and made again if it changed
   * before the script ran (a progress report came in between).
   */
  async finishUnder(id: string, attempt: number, ending: Ending, token: string): Promise<JobState | undefined> {
    const { keys, prefix } = this.#context
    for (let tries = 0; tries < FINISH_ATTEMPTS; tries++) {
      const hash = await this.hash(id)
      const current = hash?.state.attempt
      if (!hash || !current || current.number !== attempt || hasEnded(current)) return undefined
      if (ending.queuedOnly && current.status !== 'IN_QUEUE') return undefined
      const after: JobState = { ...hash.state, attempt: { ...current, status: ending.status, finishedAt: ending.finishedAt, error: ending.error } }
      const done = statusJsonOf(after, undefined, ending.finishedAt)
      const deleteAt = retainedUntil(current.queuedAt, ending.finishedAt, hash.ttl, hash.keep)
      const args = [
        ...[keys.counts, keys.leases, keys.expiries, keys.outbox, keys.bell],
        ...[prefix, id, attempt, token, ending.queuedOnly ? 1 : 0, hash.version, ending.status, ending.finishedAt],
        ...[ending.error ? JSON.stringify(ending.error) : '', ending.result ?? '', ending.aggregateJson ?? '', done, deleteAt],
      ]
      const reply = await this.#run(FINISH, args)
      if (reply === 'stale') continue
      const ended = jobHashOf(id, reply)?.state
      if (ended) this.watchers.moved(id, { last: ended.attempt.lastSeq, ended: true })
      return ended
    }
    throw new Error(`edgepod: job ${id} kept changing while it was being ended`)
  }

  async retry(id: string, attempt: number, queuedAt: number): Promise<JobState | undefined> {
    const hash = await this.hash(id)
    if (!hash) return undefined
    const expireAt = queuedAt + hash.ttl + LATE_RESULT_RETENTION
    const { keys, prefix, leaseMs } = this.#context
    const reply = await this.#run(RETRY, [keys.counts, keys.expiries, prefix, id, attempt, queuedAt, expireAt, leaseMs])
    return jobHashOf(id, reply)?.state
  }

  async markDrained(id: string, attempt: number, seq: number): Promise<void> {
    await this.#run(MARK_DRAINED, [this.#context.prefix, id, attempt, seq])
  }

  async readers(id: string, change: -1 | 0 | 1): Promise<number> {
    return Number(await this.#run(READERS, [this.#context.prefix, id, change]))
  }

  async delete(id: string): Promise<void> {
    const { keys, prefix } = this.#context
    await this.#run(DELETE, [keys.counts, keys.bell, prefix, id])
    this.watchers.moved(id, undefined)
  }

  async #positions(ids: string[]): Promise<Array<Position | undefined>> {
    const reply = (await this.#run(POSITIONS, [this.#context.prefix, ...ids])) as RedisReply[]
    return ids.map((_, index) => {
      const last = Number(reply[index * 2])
      const status = reply[index * 2 + 1] as string
      return last < 0 ? undefined : { last, ended: status !== 'IN_QUEUE' && status !== 'IN_PROGRESS' }
    })
  }
}

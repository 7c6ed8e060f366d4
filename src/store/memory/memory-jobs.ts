/**
 * The job part of the in-memory store: every job of one process and its log, in maps. The state
 * objects it hands out are its own, kept up to date as the job moves: reading one is free, and
 * holding one sees the job change (a store shared by processes hands out copies instead).
 * @module
 */
import type { HealthReport } from '../../types.ts'
import type { JobStore, LogRead } from '../store.ts'
import type { Attempt, Ending, JobState, Lease, LogEvent, LogEventType, NewJob } from '../job-state.ts'
import { hasEnded } from '../job-state.ts'
import { statusJsonOf } from '../status-json.ts'
import { EventLog } from './event-log.ts'
import { MemoryAttemptWriter } from './memory-writer.ts'

/** Every field of `T`, writable: the store's own view of the states it hands out read-only. */
type Writable<T> = { -readonly [K in keyof T]: T[K] }

/** A job's state as the store itself sees it: everything but its identity may change. */
type MemoryState = Omit<JobState, 'attempt'> & { attempt: Writable<Attempt> }

/** A job as the in-memory store holds it. */
export interface MemoryJob {
  readonly state: MemoryState
  readonly log: EventLog
  readers: number
  /** Called once when the current attempt ends; made when the first one waits. */
  endListeners: Set<() => void> | undefined
  /** The token of the running attempt's lease; undefined while it is not running. */
  token: string | undefined
}

/**
 * The JSON the log holds for a `done` event this store wrote: none. It is the job's status object
 * without its output, made from the state when read, which stays as it is once the attempt has
 * ended (a retry starts a new log). A `/runsync` job, whose `done` nobody reads, never makes it,
 * and the minute it is kept holds no copy of it.
 */
const DONE_FROM_STATE = ''

/** The counts of `/health`, kept as jobs move. */
export type JobCounts = HealthReport['jobs']

function newAttempt(number: number, queuedAt: number, baseSeq: number): Writable<Attempt> {
  return {
    number,
    status: 'IN_QUEUE',
    queuedAt,
    startedAt: undefined,
    finishedAt: undefined,
    workerId: undefined,
    kind: undefined,
    error: undefined,
    progressJson: undefined,
    outputJson: undefined,
    baseSeq,
    lastSeq: baseSeq,
    drainSeq: baseSeq,
  }
}

/** Calls, once each, whoever waits for the end of `entry`'s attempt. */
function wakeAll(entry: MemoryJob): void {
  const listeners = entry.endListeners
  if (!listeners?.size) return
  entry.endListeners = undefined
  for (const listener of listeners) listener()
}

/** The jobs of one process, in memory. */
export class MemoryJobs implements JobStore {
  readonly #jobs = new Map<string, MemoryJob>()
  readonly counts: JobCounts = { completed: 0, failed: 0, inProgress: 0, inQueue: 0, retried: 0 }
  #leases = 0

  /** How many jobs are held, of any status: ended ones stay until they are deleted. */
  get size(): number {
    return this.#jobs.size
  }

  /** The job with its log, for the dispatcher and the writer of the same store. */
  entry(id: string): MemoryJob | undefined {
    return this.#jobs.get(id)
  }

  /** A new lease token, unique in this store. */
  nextToken(): string {
    return String(++this.#leases)
  }

  create(job: NewJob): JobState {
    const entry: MemoryJob = {
      state: { id: job.id, request: job.request, origin: job.origin, attempt: newAttempt(1, job.queuedAt, 0) },
      log: new EventLog(),
      readers: 0,
      endListeners: undefined,
      token: undefined,
    }
    this.#jobs.set(job.id, entry)
    this.counts.inQueue++
    return entry.state
  }

  /**
   * Holds a job as a durable store wrote it down, with the events of its current attempt. Its
   * status is taken as it was; the caller decides what becomes of a job that was running.
   */
  restore(state: JobState, events: readonly LogEvent[]): JobState {
    const attempt: Writable<Attempt> = { ...state.attempt, lastSeq: events.at(-1)?.seq ?? state.attempt.baseSeq }
    const entry: MemoryJob = {
      state: { ...state, attempt },
      log: new EventLog({ baseSeq: attempt.baseSeq, events: [...events] }),
      readers: 0,
      endListeners: undefined,
      // A running attempt's handler is gone with the process that ran it: no lease holds it.
      token: undefined,
    }
    this.#jobs.set(state.id, entry)
    const counts = this.counts
    if (attempt.status === 'IN_QUEUE') counts.inQueue++
    else if (attempt.status === 'IN_PROGRESS') counts.inProgress++
    else if (attempt.status === 'COMPLETED') counts.completed++
    else if (attempt.status !== 'CANCELLED') counts.failed++
    return entry.state
  }

  get(id: string): JobState | undefined {
    return this.#jobs.get(id)?.state
  }

  read(id: string, after: number, maxChars = Infinity): LogRead | undefined {
    const entry = this.#jobs.get(id)
    if (!entry) return undefined
    const { log } = entry
    const types: LogEventType[] = []
    const jsons: string[] = []
    const first = log.readAfter(after, maxChars, types, jsons)
    // The `done` is the last event of an attempt this store ended: nothing is appended after it.
    const last = jsons.length - 1
    if (last >= 0 && jsons[last] === DONE_FROM_STATE && types[last] === 'done') {
      jsons[last] = statusJsonOf(entry.state, undefined, entry.state.attempt.finishedAt ?? Date.now())
    }
    return { first, types, jsons, lastSeq: log.lastSeq, ended: log.done }
  }

  watch(id: string, after: number, wake: () => void): void {
    const log = this.#jobs.get(id)?.log
    if (!log || log.lastSeq > after || log.done) wake()
    else log.onAppend(wake)
  }

  unwatch(id: string, wake: () => void): void {
    this.#jobs.get(id)?.log.offAppend(wake)
  }

  watchEnd(id: string, wake: () => void): () => void {
    const entry = this.#jobs.get(id)
    if (!entry || hasEnded(entry.state.attempt)) {
      wake()
      return () => {}
    }
    const listeners = (entry.endListeners ??= new Set())
    listeners.add(wake)
    return () => listeners.delete(wake)
  }

  start(lease: Lease, workerId: string, startedAt: number): MemoryAttemptWriter | undefined {
    const entry = this.#jobs.get(lease.id)
    const attempt = entry?.state.attempt
    if (!entry || !attempt || attempt.number !== lease.attempt || attempt.status !== 'IN_QUEUE') return undefined
    attempt.status = 'IN_PROGRESS'
    attempt.startedAt = startedAt
    attempt.workerId = workerId
    entry.token = lease.token
    this.counts.inQueue--
    this.counts.inProgress++
    return new MemoryAttemptWriter(this, entry, lease)
  }

  finish(id: string, attempt: number, ending: Ending): JobState | undefined {
    const entry = this.#jobs.get(id)
    return entry ? this.finishEntry(entry, attempt, ending, undefined) : undefined
  }

  /**
   * Ends `entry`'s attempt `number` once: the result (if any) and `done` go into the log together,
   * then whoever waits for the end wakes. With a `token`, only under that lease.
   */
  finishEntry(entry: MemoryJob, number: number, ending: Ending, token: string | undefined): JobState | undefined {
    const attempt = entry.state.attempt
    if (attempt.number !== number || hasEnded(attempt) || (token !== undefined && entry.token !== token)) return undefined
    if (ending.queuedOnly && attempt.status !== 'IN_QUEUE') return undefined
    const counts = this.counts
    if (attempt.status === 'IN_PROGRESS') counts.inProgress--
    else counts.inQueue--
    if (ending.status === 'COMPLETED') counts.completed++
    else if (ending.status !== 'CANCELLED') counts.failed++
    attempt.status = ending.status
    attempt.finishedAt = ending.finishedAt
    attempt.error = ending.error
    entry.token = undefined
    if (ending.result !== undefined) {
      attempt.kind = 'value'
      attempt.outputJson = ending.result
      entry.log.appendAll(['output'], [ending.result])
    } else if (ending.aggregateJson !== undefined) attempt.outputJson = ending.aggregateJson
    entry.log.append('done', DONE_FROM_STATE)
    entry.log.seal()
    attempt.lastSeq = entry.log.lastSeq
    wakeAll(entry)
    return entry.state
  }

  retry(id: string, number: number, queuedAt: number): JobState | undefined {
    const entry = this.#jobs.get(id)
    const attempt = entry?.state.attempt
    if (!entry || !attempt || attempt.number !== number || (attempt.status !== 'FAILED' && attempt.status !== 'TIMED_OUT')) return undefined
    entry.log.restart()
    entry.state.attempt = newAttempt(number + 1, queuedAt, entry.log.baseSeq)
    this.counts.retried++
    this.counts.inQueue++
    return entry.state
  }

  markDrained(id: string, number: number, seq: number): void {
    const attempt = this.#jobs.get(id)?.state.attempt
    if (attempt?.number === number) attempt.drainSeq = seq
  }

  readers(id: string, change: -1 | 0 | 1): number {
    const entry = this.#jobs.get(id)
    if (!entry) return 0
    return (entry.readers += change)
  }

  delete(id: string): void {
    const entry = this.#jobs.get(id)
    if (!entry) return
    this.#jobs.delete(id)
    // A job deleted before it ended (a submission the queue refused) never was.
    const { status } = entry.state.attempt
    if (status === 'IN_QUEUE') this.counts.inQueue--
    else if (status === 'IN_PROGRESS') this.counts.inProgress--
    // Whoever still waits on it learns it is gone.
    wakeAll(entry)
  }
}

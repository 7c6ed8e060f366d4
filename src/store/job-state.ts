/**
 * A job as every store keeps it: what never changes (its id, its request) and its current attempt,
 * kept apart so that a retry starts a new attempt instead of resetting the job field by field.
 * These are the shapes the engine, the HTTP routes and every store share.
 * @module
 */
import type { ErrorDetail, JobRequest, JobStatus } from '../types.ts'
import { LATE_RESULT_RETENTION } from '../limits.ts'

/** The kinds of event in a job's log, which are also the SSE `event:` names. */
export type LogEventType = 'output' | 'progress' | 'log' | 'done'

/** One entry of a job's log. `json` is the value already serialised, once, for every reader. */
export interface LogEvent {
  /** The event's place in the job's log, from 1; it goes on across retries, never reused. */
  readonly seq: number
  readonly type: LogEventType
  readonly json: string
}

/** How a job was submitted: a `POST /stream` job is cancelled when its readers are gone. */
export type JobOrigin = 'run' | 'sync' | 'stream' | 'openai'

/** What a handler produced, as far as the job's output is concerned. */
export type OutputKind = 'value' | 'stream'

/** One run of a job: the first, or a retry. */
export interface Attempt {
  /** 1 for the first attempt, +1 for each retry. */
  readonly number: number
  readonly status: JobStatus
  /** When the attempt was queued (the submission, or the retry), ms since the epoch. */
  readonly queuedAt: number
  readonly startedAt: number | undefined
  readonly finishedAt: number | undefined
  /** The worker that ran the attempt. */
  readonly workerId: string | undefined
  /** Known once the handler has returned: one value, or a stream of outputs. */
  readonly kind: OutputKind | undefined
  readonly error: ErrorDetail | undefined
  /** The JSON of the latest progress report. */
  readonly progressJson: string | undefined
  /**
   * The final output's JSON when it is not the log's outputs read again: a plain handler's value,
   * or a stream's `concat` or reducer aggregate. Set when the attempt ends.
   */
  readonly outputJson: string | undefined
  /** The seq before the attempt's first event. */
  readonly baseSeq: number
  /** The seq of the attempt's last event (`baseSeq` while it has none). */
  readonly lastSeq: number
  /** The last seq a draining polled read of `/stream/:id` has returned. */
  readonly drainSeq: number
}

/** A job: its identity and its current attempt. */
export interface JobState {
  readonly id: string
  readonly request: JobRequest
  readonly origin: JobOrigin
  readonly attempt: Attempt
}

/** What a store needs to create a job. */
export interface NewJob {
  readonly id: string
  readonly request: JobRequest
  readonly origin: JobOrigin
  /** Submission time, ms since the epoch. */
  readonly queuedAt: number
  /**
   * Its `policy.ttl`, or the worker's: a store shared by processes keeps the job that long (and
   * ends it `TIMED_OUT` if it is still queued then) even when the process that made it is gone.
   */
  readonly ttl: number
  /** Its `policy.executionTimeout`, or the worker's: the same, for a running attempt. */
  readonly executionTimeout: number
  /** How long its result is kept after its end, within its ttl (RunPod's 30 min for `/run`, 1 min for `/runsync`). */
  readonly keep: number
}

/** The four statuses after which an attempt never changes. */
export type TerminalStatus = Exclude<JobStatus, 'IN_QUEUE' | 'IN_PROGRESS'>

/** How an attempt ends. */
export interface Ending {
  readonly status: TerminalStatus
  readonly error?: ErrorDetail | undefined
  /** When it ended, ms since the epoch. */
  readonly finishedAt: number
  /** A plain handler's result: written as the attempt's one `output` event, just before `done`. */
  readonly result?: string | undefined
  /** A stream's final aggregate, when it is not the log's outputs read again (`concat`, a reducer). */
  readonly aggregateJson?: string | undefined
  /** End the attempt only while it is still queued (a purge, a ttl passing in the queue). */
  readonly queuedOnly?: boolean | undefined
}

/**
 * The lease under which one process runs one attempt: only its holder may append to the log, and
 * only while the store still holds the attempt `IN_PROGRESS` under this token.
 */
export interface Lease {
  readonly id: string
  readonly attempt: number
  readonly token: string
}

/** Events to append, in order: `jsons[i]` is an event of type `types[i]`. */
export interface EventBatch {
  readonly types: readonly Exclude<LogEventType, 'done'>[]
  readonly jsons: readonly string[]
}

/** True once the attempt has a terminal status. */
export function hasEnded(attempt: Attempt): boolean {
  return attempt.status !== 'IN_QUEUE' && attempt.status !== 'IN_PROGRESS'
}

/**
 * Until when a job queued at `queuedAt` and ended at `finishedAt` is kept: `keep` after its end,
 * within its ttl, or a little after its end when it ended past its ttl. The one rule of every store.
 */
export function retainedUntil(queuedAt: number, finishedAt: number, ttl: number, keep: number): number {
  const expiresAt = queuedAt + ttl
  // A job that ended past its ttl is still there to read a moment, as RunPod keeps sync results.
  if (finishedAt >= expiresAt) return finishedAt + Math.min(LATE_RESULT_RETENTION, ttl, keep)
  return Math.min(expiresAt, finishedAt + keep)
}

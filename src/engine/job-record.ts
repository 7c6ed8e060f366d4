/**
 * A job as the engine keeps it, and the status object that is its public view.
 * @module
 */
import type { ErrorDetail, ExecutionContextLike, JobRequest, JobStatus, JobStatusObject } from '../types.ts'
import { isTerminal } from '../types.ts'
import type { OutputSource } from '../handler/output-source.ts'
import { EventLog } from './event-log.ts'
import type { AggregateState, Aggregation } from './aggregate.ts'
import { aggregateJson } from './aggregate.ts'

/** One run of a job's handler; a retry gets a new one. */
export interface Execution {
  /**
   * The handler's `job.signal`, made on first use: most handlers never read it, and an
   * AbortController costs more than the rest of a small job on Node.
   */
  readonly signal: AbortSignal
  /** Why the execution was stopped, once it was. */
  stopReason: unknown
  /** Set when the job's terminal status is recorded, whoever recorded it. */
  ended: boolean
  source: OutputSource | undefined
  /** Aborts the signal and stops the source, from the execution's own context (once). */
  requestStop(reason: unknown): void
  /** Frees the concurrency slot (idempotent). */
  release(): void
  /** Settles when the handler has returned or thrown, whatever the job's status. */
  settled: Promise<void> | undefined
  /** Settles when the slot is freed: the handler has settled, or its cleanup time ran out. */
  readonly released: Promise<void>
}

/** How a job was submitted: a `POST /stream` job is cancelled when its readers are gone. */
export type JobOrigin = 'run' | 'stream'

/** Everything the engine knows of one job. */
export interface JobRecord {
  readonly id: string
  readonly request: JobRequest
  readonly origin: JobOrigin
  readonly env: unknown
  /** The execution context of the request that started the current attempt (a retry's own). */
  executionCtx: ExecutionContextLike | undefined
  status: JobStatus
  readonly log: EventLog
  queuedAt: number
  startedAt: number | undefined
  finishedAt: number | undefined
  /** Known once the handler has returned: one value, or a stream of outputs. */
  kind: 'value' | 'stream' | undefined
  error: ErrorDetail | undefined
  /** The JSON of the latest progress report. */
  progressJson: string | undefined
  /** The last seq a draining polled read of `/stream/:id` has returned. */
  drainSeq: number
  /** Live SSE readers. */
  readers: number
  execution: Execution | undefined
  /** Set when the ttl passed while the job ran: it is deleted shortly after it ends. */
  expired: boolean
  /** Called once when the current attempt reaches a terminal status. */
  readonly endListeners: Set<() => void>
  timers: { execution?: unknown; ttl?: unknown; grace?: unknown; delete?: unknown }
  /** The terminal output JSON, computed once. */
  outputCache: string | undefined
  /** The aggregate of the current attempt's outputs (for `concat` and reducers). */
  aggregate: AggregateState
  /**
   * UTF-8 bytes of the current attempt's outputs, with a separator each (the size of the array
   * aggregate), for the outputs measured so far: a sink measures them only near `maxResultBytes`.
   */
  outputBytes: number
  /** 1 for the first attempt, +1 for each retry. */
  attempt: number
  /** Submission order, for FIFO among jobs queued in the same millisecond. */
  order: number
  /** The worker that ran the current attempt. */
  workerId: string | undefined
  /** When a scheduled deletion happens, ms since the epoch. */
  deleteAt: number | undefined
}

/** Creates the record of a newly submitted job. */
export function createJobRecord(init: {
  id: string
  request: JobRequest
  origin: JobOrigin
  env: unknown
  executionCtx: ExecutionContextLike | undefined
  now: number
  aggregate: AggregateState
}): JobRecord {
  return {
    id: init.id,
    request: init.request,
    origin: init.origin,
    env: init.env,
    executionCtx: init.executionCtx,
    status: 'IN_QUEUE',
    log: new EventLog(),
    queuedAt: init.now,
    startedAt: undefined,
    finishedAt: undefined,
    kind: undefined,
    error: undefined,
    progressJson: undefined,
    drainSeq: 0,
    readers: 0,
    execution: undefined,
    expired: false,
    endListeners: new Set(),
    timers: {},
    outputCache: undefined,
    aggregate: init.aggregate,
    outputBytes: 0,
    attempt: 1,
    order: 0,
    workerId: undefined,
    deleteAt: undefined,
  }
}

/**
 * The JSON of a job's output: a plain handler's one output, or a stream's aggregate (RunPod's
 * array, `[]` without aggregation, a string or a reducer's result). While a reducer's partial result
 * cannot be JSON, there is no output yet.
 */
export function outputJsonOf(record: JobRecord, aggregation: Aggregation): string | undefined {
  if (record.outputCache !== undefined) return record.outputCache
  let json: string | undefined
  if (record.kind === 'value') json = record.log.outputs()[0]
  else if (record.kind === 'stream') {
    try {
      json = aggregateJson(aggregation, record.aggregate, record.log)
    } catch {
      json = undefined
    }
  }
  if (isTerminal(record.status)) record.outputCache = json
  return json
}

/**
 * The status object as JSON text. The output is spliced in as the JSON already in the log, so a
 * large aggregate is never parsed and serialised again.
 */
export function statusJsonOf(
  record: JobRecord,
  options: { now: number; workerId: string; aggregation: Aggregation; withOutput: boolean }
): string {
  let json = `{"id":${JSON.stringify(record.id)},"status":"${record.status}"`
  if (options.withOutput) {
    const output = outputJsonOf(record, options.aggregation)
    if (output !== undefined) json += `,"output":${output}`
  }
  if (record.error) {
    json += `,"error":${JSON.stringify(record.error.message)},"errorDetail":${JSON.stringify(record.error)}`
  }
  if (record.progressJson !== undefined) json += `,"progress":${record.progressJson}`
  const started = record.startedAt
  const delayTime = (started ?? record.finishedAt ?? options.now) - record.queuedAt
  const executionTime = started === undefined ? 0 : (record.finishedAt ?? options.now) - started
  json += `,"delayTime":${delayTime},"executionTime":${executionTime}`
  if (started !== undefined) json += `,"workerId":${JSON.stringify(record.workerId ?? options.workerId)}`
  return `${json}}`
}

/** The status object as a value (for callers inside the process). */
export function statusObjectOf(
  record: JobRecord,
  options: { now: number; workerId: string; aggregation: Aggregation; withOutput: boolean }
): JobStatusObject {
  return JSON.parse(statusJsonOf(record, options)) as JobStatusObject
}

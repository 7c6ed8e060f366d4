/**
 * The job engine: queue, concurrency, lifecycle, timeouts and retention of every job of one worker,
 * all in memory. Routes ask it for jobs and read their logs; it never touches HTTP.
 * @module
 */
import type { ErrorDetail, ExecutionContextLike, HealthReport, Job, JobRequest, JobStatus, JobStatusObject } from '../types.ts'
import { isTerminal } from '../types.ts'
import { HttpError } from '../errors.ts'
import type { Aggregation } from './aggregate.ts'
import { startAggregate } from './aggregate.ts'
import { driveHandler } from './drive-handler.ts'
import { Fifo } from './fifo.ts'
import { createJobSink, payloadTooLarge } from './job-sink.ts'
import type { SinkContext } from './job-sink.ts'
import { utf8Length } from './utf8-length.ts'
import { bytesOverEventLimit } from './output-budget.ts'
import { deliverWebhook } from './webhook.ts'
import type { WebhookOptions } from './webhook.ts'
import type { Execution, JobOrigin, JobRecord } from './job-record.ts'
import { createJobRecord, statusJsonOf, statusObjectOf } from './job-record.ts'
import { cancelTimer, startTimer } from './timers.ts'
import type { LazySignal } from './wait.ts'
import { waitForSignal } from './wait.ts'
import { envString } from '../env.ts'
import type { JobPersistence, JobSnapshot } from './persistence.ts'
import { snapshotOf } from './persistence.ts'
import type { LogEvent } from './event-log.ts'
import { EventLog } from './event-log.ts'
import { addToAggregate } from './aggregate.ts'

/** Everything the engine needs to know, already resolved from the worker's config. */
export interface EngineOptions {
  handler: (job: Job<never, never>) => unknown
  /** How a stream's outputs become its `output` (RunPod's `return_aggregate_stream` is `'array'`). */
  aggregation: Aggregation
  /** Largest single output or progress value, UTF-8 bytes of its JSON. */
  maxEventBytes: number
  /** Largest total of a job's outputs, and of its final output, UTF-8 bytes of JSON. */
  maxResultBytes: number
  /** Delivery of the request's `webhook`; the secret falls back to `env.EDGEPOD_WEBHOOK_SECRET`. */
  webhooks: WebhookOptions
  /** A fixed number of jobs run at once, or RunPod's modifier `(current) => wanted`. */
  concurrency: number | ((current: number) => number)
  /** Default `policy.executionTimeout`, ms. */
  executionTimeout: number
  /** Default `policy.ttl`, ms. */
  ttl: number
  /** How long a `POST /stream` job lives on with no reader before it is cancelled, ms. */
  disconnectGrace: number
  /** How long a cancelled handler may take to run its cleanup before its slot is freed anyway, ms. */
  cleanupTimeout: number
  /** The most jobs waiting for a slot before submissions are refused (429 `queue_full`). */
  maxQueue: number
  exposeErrorStack: boolean
  /** The `workerId` of status objects; a random one (made at the first request) when absent. */
  workerId: string | undefined
  /** Where jobs are written down, for a store that outlives the process (Durable Objects). */
  persistence?: JobPersistence | undefined
}

/** How a job is submitted. */
export interface SubmitOptions {
  origin?: JobOrigin
  env?: unknown
  executionCtx?: ExecutionContextLike | undefined
}

/** The longest a result is kept after its job ends past its ttl (RunPod keeps sync results 1 min). */
const LATE_RESULT_RETENTION = 60_000

/**
 * Each attempt gets its own copy of the input, so a retry sees the input as sent even when the
 * first attempt mutated it. Inputs from HTTP are JSON and always clone; an in-process caller's
 * uncloneable input is passed as it is.
 */
function cloneInput(input: unknown): unknown {
  try {
    return structuredClone(input)
  } catch {
    return input
  }
}

/** A place in the queue, for one attempt of a job. */
interface QueueEntry {
  record: JobRecord
  attempt: number
}

/** Runs the jobs of one worker. */
export class JobEngine {
  readonly options: EngineOptions
  #jobs = new Map<string, JobRecord>()
  // Entries carry the attempt they queued: a job that left the queue (cancelled, timed out) and
  // was retried must not start from its old place, ahead of jobs queued since.
  #queue = new Fifo<QueueEntry>()
  #lowPriorityQueue = new Fifo<QueueEntry>()
  #concurrency: number
  #slotsInUse = 0
  #counts = { inQueue: 0, inProgress: 0, completed: 0, failed: 0, retried: 0 }

  readonly #sinkContext: SinkContext

  constructor(options: EngineOptions) {
    this.options = options
    this.#sinkContext = {
      aggregation: options.aggregation,
      maxEventBytes: options.maxEventBytes,
      maxResultBytes: options.maxResultBytes,
      exposeErrorStack: options.exposeErrorStack,
      end: (record, status, error) => this.#end(record, status, error),
    }
    this.#concurrency = typeof options.concurrency === 'number' ? options.concurrency : 1
  }

  /**
   * This worker's id in status objects. Made on first use, not at start-up: workerd forbids random
   * values in a module's global scope, where `serverless.start` runs.
   */
  get workerId(): string {
    return (this.#workerId ??= this.options.workerId ?? `edgepod-${crypto.randomUUID().slice(0, 8)}`)
  }
  #workerId: string | undefined
  #submitted = 0

  /** Creates a job, queues it, and starts it if a slot is free. */
  submit(request: JobRequest, options: SubmitOptions = {}): JobRecord {
    this.#refuseWhenQueueFull()
    const record = createJobRecord({
      id: crypto.randomUUID(),
      request,
      origin: options.origin ?? 'run',
      env: options.env,
      executionCtx: options.executionCtx,
      now: Date.now(),
      aggregate: startAggregate(this.options.aggregation),
    })
    record.order = this.#submitted++
    this.#jobs.set(record.id, record)
    this.#watch(record)
    this.#persist(record)
    this.#enqueue(record, options.executionCtx)
    return record
  }

  /**
   * Rebuilds the jobs of a durable store after a restart. A job that was running has lost its
   * handler: it ends `FAILED` (with what it had streamed), and `/retry` runs it again. Queued jobs
   * queue again in their order; ended ones stay until their ttl.
   */
  restore(snapshots: readonly JobSnapshot[], eventsOf: (id: string) => LogEvent[], env?: unknown): void {
    const now = Date.now()
    for (const snapshot of [...snapshots].sort((a, b) => a.queuedAt - b.queuedAt || a.order - b.order)) {
      const events = eventsOf(snapshot.id).filter((event) => event.seq > snapshot.baseSeq)
      const record = createJobRecord({ ...snapshot, env, executionCtx: undefined, now: snapshot.queuedAt, aggregate: startAggregate(this.options.aggregation) })
      Object.assign(record, {
        log: new EventLog({ baseSeq: snapshot.baseSeq, events }),
        status: snapshot.status,
        startedAt: snapshot.startedAt,
        finishedAt: snapshot.finishedAt,
        error: snapshot.error,
        drainSeq: snapshot.drainSeq,
        attempt: snapshot.attempt,
        expired: snapshot.expired,
        order: snapshot.order,
        workerId: snapshot.workerId,
        // A running job with outputs was a stream (a plain handler's one output ends it at once).
        kind: snapshot.kind ?? (events.some((event) => event.type === 'output') ? 'stream' : undefined),
      })
      this.#submitted = Math.max(this.#submitted, snapshot.order + 1)
      for (const event of events) {
        if (event.type === 'progress') record.progressJson = event.json
        if (event.type !== 'output') continue
        record.outputBytes += utf8Length(event.json) + 1
        try {
          addToAggregate(this.options.aggregation, record.aggregate, JSON.parse(event.json))
        } catch {
          // A reducer that fails now failed then: the job's own status says so.
        }
      }
      this.#jobs.set(record.id, record)
      this.#watch(record)
      if (record.status === 'IN_QUEUE') {
        this.#enqueue(record, undefined)
        continue
      }
      if (record.status === 'IN_PROGRESS') {
        this.#counts.inProgress++
        this.#end(record, 'FAILED', { type: 'RestartError', message: 'the worker restarted while the job ran; /retry runs it again', code: 'restarted' })
      } else if (record.status === 'COMPLETED') this.#counts.completed++
      else if (record.status !== 'CANCELLED') this.#counts.failed++
      // Ended, now or before the restart: kept until its ttl (a little after it, when it ended late).
      const left = record.queuedAt + this.#ttlOf(record) - now
      if (record.timers.delete !== undefined) continue
      if (left <= 0 || record.expired) this.#scheduleDelete(record)
      else record.timers.ttl = startTimer(() => this.#expire(record), left)
    }
  }

  /**
   * The earliest time a timer of this engine must act (a ttl to expire, a running job's execution
   * timeout), or undefined with no job. A Durable Object sets its alarm to it, so that an object
   * evicted between requests still deletes expired jobs and times out running ones on time.
   */
  nextDeadline(): number | undefined {
    let next: number | undefined
    for (const record of this.#jobs.values()) {
      let deadline = record.queuedAt + this.#ttlOf(record)
      if (record.deleteAt !== undefined) deadline = record.deleteAt
      else if (record.status === 'IN_PROGRESS' && record.startedAt !== undefined) {
        deadline = Math.min(deadline, record.startedAt + (record.request.policy?.executionTimeout ?? this.options.executionTimeout))
      } else if (isTerminal(record.status) && record.finishedAt !== undefined && deadline <= record.finishedAt) {
        // Ended past its ttl: kept a little while after it ended.
        deadline = record.finishedAt + Math.min(LATE_RESULT_RETENTION, this.#ttlOf(record))
      }
      next = next === undefined ? deadline : Math.min(next, deadline)
    }
    return next
  }

  /** A draining polled read returned everything up to `seq`. */
  markDrained(record: JobRecord, seq: number): void {
    record.drainSeq = seq
    // A poll that waited may outlive the job: never write a deleted job back.
    if (this.#jobs.get(record.id) === record) this.#persist(record)
  }

  #watch(record: JobRecord): void {
    const persistence = this.options.persistence
    if (persistence) record.log.observer = (event) => persistence.saveEvent(record.id, event)
  }

  #persist(record: JobRecord): void {
    this.options.persistence?.saveJob(snapshotOf(record))
  }

  /** The job with this id, if it exists and has not expired. */
  get(id: string): JobRecord | undefined {
    return this.#jobs.get(id)
  }

  /** The job with this id, or a 404 `job_not_found`. */
  require(id: string): JobRecord {
    const record = this.#jobs.get(id)
    if (!record) throw new HttpError('job_not_found', `no job with id ${JSON.stringify(id)} (it may have expired)`)
    return record
  }

  /** The status object as JSON text (with the output, unless told otherwise). */
  statusJson(record: JobRecord, withOutput = true): string {
    return statusJsonOf(record, this.#viewOptions(withOutput))
  }

  /** The status object as a value. */
  status(record: JobRecord, withOutput = true): JobStatusObject {
    return statusObjectOf(record, this.#viewOptions(withOutput))
  }

  /** Calls `listener` once when the job's current attempt ends (at once if it has). */
  onEnd(record: JobRecord, listener: () => void): () => void {
    if (isTerminal(record.status)) {
      listener()
      return () => {}
    }
    record.endListeners.add(listener)
    return () => record.endListeners.delete(listener)
  }

  /** Resolves when the job has ended, `ms` has passed, or `signal` aborts, whichever is first. */
  waitForEnd(record: JobRecord, ms: number, signal?: LazySignal): Promise<void> {
    return waitForSignal((wake) => this.onEnd(record, wake), ms, signal)
  }

  /**
   * Cancels a job: a queued one never starts, a running one is recorded `CANCELLED` at once and its
   * handler is stopped. A job that has already ended keeps its status.
   */
  cancel(record: JobRecord, message = 'cancelled by request'): void {
    if (isTerminal(record.status)) return
    this.#end(record, 'CANCELLED', { type: 'CancelledError', message })
  }

  /**
   * Puts a `FAILED` or `TIMED_OUT` job back in the queue: same id, same input. The execution context
   * is the retrying request's, so that on Workers it is the one kept alive.
   */
  retry(record: JobRecord, executionCtx?: ExecutionContextLike): void {
    if (record.status !== 'FAILED' && record.status !== 'TIMED_OUT') {
      throw new HttpError('invalid_state', `job ${record.id} is ${record.status}; only FAILED or TIMED_OUT jobs can be retried`)
    }
    this.#refuseWhenQueueFull()
    record.log.restart()
    record.status = 'IN_QUEUE'
    record.queuedAt = Date.now()
    record.startedAt = record.finishedAt = undefined
    record.kind = record.error = record.progressJson = record.outputCache = undefined
    record.execution = undefined
    record.aggregate = startAggregate(this.options.aggregation)
    record.outputBytes = 0
    record.attempt++
    record.drainSeq = record.log.baseSeq
    record.expired = false
    cancelTimer(record.timers.delete)
    cancelTimer(record.timers.ttl)
    this.#counts.retried++
    record.executionCtx = executionCtx
    this.#persist(record)
    this.#enqueue(record, executionCtx)
  }

  /** Cancels every queued job; running jobs go on. Returns how many were removed. */
  purgeQueue(): number {
    let removed = 0
    for (const { record, attempt } of [...this.#queue.drain(), ...this.#lowPriorityQueue.drain()]) {
      if (record.status !== 'IN_QUEUE' || record.attempt !== attempt) continue
      this.#end(record, 'CANCELLED', { type: 'CancelledError', message: 'removed from the queue by /purge-queue' })
      removed++
    }
    return removed
  }

  /** How many jobs this engine holds, of any status: ended ones stay until their ttl expires. */
  get heldJobs(): number {
    return this.#jobs.size
  }

  /** RunPod's `/health` counts for this worker. */
  health(): HealthReport {
    const { inQueue, inProgress, completed, failed, retried } = this.#counts
    return {
      jobs: { completed, failed, inProgress, inQueue, retried },
      // With no limit there is always room for one more job.
      workers: {
        idle: Number.isFinite(this.#concurrency) ? Math.max(0, this.#concurrency - this.#slotsInUse) : 1,
        running: this.#slotsInUse,
      },
    }
  }

  /** A reader of the job's SSE stream arrived. */
  attachReader(record: JobRecord): void {
    record.readers++
    cancelTimer(record.timers.grace)
    record.timers.grace = undefined
  }

  /** A reader left; when the last reader of a `POST /stream` job leaves, the grace period starts. */
  detachReader(record: JobRecord): void {
    record.readers--
    this.#armDisconnectGrace(record)
  }

  /** A polled read counts as interest: it restarts a running grace period. */
  touch(record: JobRecord): void {
    if (record.timers.grace !== undefined) {
      cancelTimer(record.timers.grace)
      record.timers.grace = undefined
      this.#armDisconnectGrace(record)
    }
  }

  #armDisconnectGrace(record: JobRecord): void {
    if (record.readers > 0 || record.origin !== 'stream' || isTerminal(record.status)) return
    const grace = this.options.disconnectGrace
    if (grace === Infinity) return
    const message = `cancelled: no reader for ${grace} ms`
    if (grace <= 0) return this.cancel(record, message)
    record.timers.grace = startTimer(() => {
      record.timers.grace = undefined
      if (record.readers === 0) this.cancel(record, message)
    }, grace)
  }

  #viewOptions(withOutput: boolean) {
    return { now: Date.now(), workerId: this.workerId, aggregation: this.options.aggregation, withOutput }
  }

  /** Queues a job (new or retried) and starts it if a slot is free. */
  #enqueue(record: JobRecord, executionCtx: ExecutionContextLike | undefined): void {
    this.#counts.inQueue++
    // On Workers the isolate may stop once the response is sent: keep it until the job has ended
    // and its handler has finished too (or run out of cleanup time), since a cancelled handler's
    // `finally` may wait on its own timers, which workerd drops with the request's context.
    executionCtx?.waitUntil(new Promise<void>((resolve) => this.onEnd(record, resolve)).then(() => record.execution?.released))
    // From submission (or the retry): a job restored from storage has less of it left.
    record.timers.ttl = startTimer(() => this.#expire(record), record.queuedAt + this.#ttlOf(record) - Date.now())
    const entry = { record, attempt: record.attempt }
    if (record.request.policy?.lowPriority) this.#lowPriorityQueue.push(entry)
    else this.#queue.push(entry)
    this.#pump()
  }

  /** The concurrency now: RunPod calls its modifier with the current value whenever it takes jobs. */
  #limit(): number {
    const modifier = this.options.concurrency
    let wanted: number
    try {
      wanted = typeof modifier === 'number' ? modifier : modifier(this.#concurrency)
    } catch (error) {
      // A broken modifier must not stop the queue: keep the concurrency we had.
      console.error('edgepod: concurrencyModifier threw; keeping concurrency', this.#concurrency, error)
      return this.#concurrency
    }
    if (Number.isInteger(wanted) && wanted >= 1) this.#concurrency = wanted
    else if (wanted === Infinity) this.#concurrency = Infinity
    return this.#concurrency
  }

  #pump(): void {
    while (this.#counts.inQueue > 0 && this.#slotsInUse < this.#limit()) {
      const entry = this.#queue.shift() ?? this.#lowPriorityQueue.shift()
      if (!entry) return
      if (entry.record.status === 'IN_QUEUE' && entry.record.attempt === entry.attempt) this.#start(entry.record)
    }
  }

  #start(record: JobRecord): void {
    this.#counts.inQueue--
    this.#counts.inProgress++
    this.#slotsInUse++
    record.status = 'IN_PROGRESS'
    record.startedAt = Date.now()
    record.workerId = this.workerId
    this.#persist(record)
    let released = false
    let markReleased!: () => void
    let requestStop!: (reason: unknown) => void
    const stopRequested = new Promise<unknown>((resolve) => (requestStop = resolve))
    let controller: AbortController | undefined
    let stopped = false
    const execution: Execution = {
      get signal() {
        if (!controller) {
          controller = new AbortController()
          if (stopped) controller.abort(execution.stopReason)
        }
        return controller.signal
      },
      stopReason: undefined,
      ended: false,
      source: undefined,
      settled: undefined,
      released: new Promise<void>((resolve) => (markReleased = resolve)),
      requestStop,
      release: () => {
        if (released) return
        released = true
        markReleased()
        this.#slotsInUse--
        this.#pump()
      },
    }
    // The stop runs here, in the execution's own request: workerd forbids aborting a controller or
    // closing a stream from another request (a /cancel), but lets that request settle a promise.
    void stopRequested.then((reason) => {
      stopped = true
      execution.stopReason = reason
      controller?.abort(reason)
      void execution.source?.stop(reason)
    })
    record.execution = execution
    const timeout = record.request.policy?.executionTimeout ?? this.options.executionTimeout
    record.timers.execution = startTimer(() => {
      this.#end(record, 'TIMED_OUT', { type: 'TimeoutError', message: `execution timeout of ${timeout} ms exceeded` })
    }, timeout)
    const job = this.#jobFor(record, execution)
    execution.settled = driveHandler(this.options.handler, job, execution, createJobSink(record, execution, this.#sinkContext))
      // Only a bug in edgepod gets here: the job still ends, rather than stay IN_PROGRESS unseen.
      .catch((error) => {
        console.error('edgepod: internal error while running a job', error)
        this.#end(record, 'FAILED', { type: 'InternalError', message: 'internal error while running the job' })
      })
      // A handler that ended on its own frees its slot here; one the engine stopped frees it
      // here or when its cleanup time runs out, whichever is first (see #stop).
      .finally(execution.release)
  }

  #jobFor(record: JobRecord, execution: Execution): Job<never, never> {
    const { request } = record
    return {
      id: record.id,
      input: cloneInput(request.input) as never,
      webhook: request.webhook,
      policy: request.policy,
      s3Config: request.s3Config,
      get signal() {
        return execution.signal
      },
      progress: (value: unknown) => {
        if (execution.ended) return
        const json = JSON.stringify(value)
        if (json === undefined) throw new TypeError(`progress must be a JSON value, got ${typeof value}`)
        const bytes = bytesOverEventLimit(json, this.options.maxEventBytes)
        if (bytes !== undefined) {
          // As for an output: the job ends FAILED with payload_too_large, and the handler is stopped.
          const detail = payloadTooLarge(`progress is ${bytes} bytes, over the limit of ${this.options.maxEventBytes} for one event`)
          this.#end(record, 'FAILED', detail)
          throw Object.assign(new RangeError(detail.message), { code: detail.code })
        }
        record.progressJson = json
        record.log.append('progress', json)
      },
      env: record.env as never,
      executionCtx: record.executionCtx,
    }
  }

  /**
   * Records a terminal status, once: the `done` event goes into the log, waiters wake, and a
   * handler that had not finished on its own is aborted and stopped.
   */
  #end(record: JobRecord, status: JobStatus, error: ErrorDetail | undefined): void {
    const execution = record.execution
    if (execution?.ended || isTerminal(record.status)) return
    const wasRunning = record.status === 'IN_PROGRESS'
    if (wasRunning) this.#counts.inProgress--
    else this.#counts.inQueue--
    if (status === 'COMPLETED') this.#counts.completed++
    else if (status === 'FAILED' || status === 'TIMED_OUT') this.#counts.failed++
    record.status = status
    record.finishedAt = Date.now()
    record.error = error
    cancelTimer(record.timers.execution)
    cancelTimer(record.timers.grace)
    record.timers.grace = undefined
    record.log.append('done', this.statusJson(record, false))
    this.#persist(record)
    if (execution) {
      execution.ended = true
      if (status !== 'COMPLETED') this.#stop(execution, error)
    }
    const listeners = [...record.endListeners]
    record.endListeners.clear()
    for (const listener of listeners) listener()
    this.#sendWebhook(record)
    if (record.expired || record.queuedAt + this.#ttlOf(record) <= record.finishedAt) this.#scheduleDelete(record)
  }

  /** Aborts the handler's signal and stops its source, giving its cleanup a bounded time. */
  #stop(execution: Execution, error: ErrorDetail | undefined): void {
    const reason = new DOMException(error?.message ?? 'job ended', error?.type === 'TimeoutError' ? 'TimeoutError' : 'AbortError')
    execution.requestStop(reason)
    const timer = startTimer(execution.release, this.options.cleanupTimeout)
    void execution.settled?.finally(() => cancelTimer(timer))
  }

  /**
   * POSTs the status envelope (RunPod's: the status object with `input` and `webhook`) to the
   * request's webhook, on every terminal status. It runs on its own: the job's end never waits
   * for it, and on Workers the execution context keeps it alive.
   */
  #sendWebhook(record: JobRecord): void {
    const url = record.request.webhook
    if (!url) return
    const status = this.statusJson(record)
    const envelope = `${status.slice(0, -1)},"input":${JSON.stringify(record.request.input) ?? 'null'},"webhook":${JSON.stringify(url)}}`
    const secret = this.options.webhooks.secret ?? envString(record.env, 'EDGEPOD_WEBHOOK_SECRET')
    const delivery = deliverWebhook(url, envelope, `${record.id}-${record.attempt}`, { ...this.options.webhooks, secret })
    record.executionCtx?.waitUntil(delivery)
  }

  /** Throws 429 `queue_full` when a new job would wait behind `maxQueue` others. */
  #refuseWhenQueueFull(): void {
    // A job that would start at once never waits, however long the queue limit is.
    if (this.#slotsInUse < this.#concurrency || this.#counts.inQueue < this.options.maxQueue) return
    throw new HttpError('queue_full', `the queue is full: ${this.#counts.inQueue} jobs are waiting for a slot; try again later`, {
      headers: { 'Retry-After': '1' },
    })
  }

  #ttlOf(record: JobRecord): number {
    return record.request.policy?.ttl ?? this.options.ttl
  }

  #expire(record: JobRecord): void {
    record.timers.ttl = undefined
    if (record.status === 'IN_PROGRESS') {
      // Never delete a running job: it is deleted shortly after it ends.
      record.expired = true
    } else if (record.status === 'IN_QUEUE') {
      this.#end(record, 'TIMED_OUT', { type: 'TimeoutError', message: `ttl of ${this.#ttlOf(record)} ms expired before the job started` })
    } else {
      this.#delete(record)
    }
  }

  #scheduleDelete(record: JobRecord): void {
    cancelTimer(record.timers.delete)
    const keep = Math.min(LATE_RESULT_RETENTION, this.#ttlOf(record))
    record.deleteAt = Date.now() + keep
    record.timers.delete = startTimer(() => this.#delete(record), keep)
  }

  #delete(record: JobRecord): void {
    for (const timer of Object.values(record.timers)) cancelTimer(timer)
    if (this.#jobs.get(record.id) !== record) return
    this.#jobs.delete(record.id)
    this.options.persistence?.deleteJob(record.id)
  }
}

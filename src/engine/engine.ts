/**
 * The job engine of one worker: it takes requests for jobs and answers what routes ask of them,
 * over a {@link Store} where the jobs live. It keeps in the process only what lives there: the
 * running handlers (the executor), the claiming of work for free slots (the scheduler), the
 * deadlines (retention), and per job what the submitting request gave (`env`, its execution
 * context). It never touches HTTP, and throws only {@link WorkerError}s.
 * @module
 */
import type { ExecutionContextLike, HealthReport, JobRequest, JobStatusObject } from '../types.ts'
import type { Awaitable } from '../awaitable.ts'
import { isPromiseLike, whenReady } from '../awaitable.ts'
import { draining, jobErrors, jobNotFound, logFailure, notRetryable, queueFull } from '../errors.ts'
import type { Store } from '../store/store.ts'
import { isShared } from '../store/store.ts'
import type { Ending, JobState } from '../store/job-state.ts'
import { hasEnded } from '../store/job-state.ts'
import { statusJsonOf } from '../store/status-json.ts'
import type { EngineOptions, SubmitOptions } from './engine-options.ts'
import { JobContexts } from './job-contexts.ts'
import { Executor } from './executor.ts'
import { OutputView } from './output-view.ts'
import { ReaderPresence } from './reader-presence.ts'
import { Retention } from './retention.ts'
import { Scheduler } from './scheduler.ts'
import type { LazySignal } from './wait.ts'
import { waitForSignal } from './wait.ts'
import { WebhookSender } from './webhook-sender.ts'
import { restoreJobs } from './restore.ts'
import { joinFleet } from './fleet-member.ts'
import { Readiness } from './readiness.ts'
import { WorkerRefresh } from './refresh.ts'
import type { Concurrency } from './scheduler.ts'
import { keepOf } from './retention.ts'
import type { FleetMember } from './fleet-member.ts'

export type { EngineOptions, SubmitOptions } from './engine-options.ts'

/** The output as nothing yet: none, or an empty aggregate. */
const EMPTY_OUTPUTS = new Set([undefined, '[]', '""'])

/**
 * RunPod's `progress_update` shows in `output` while a running job has none yet, and its clients
 * read it there: the latest progress stands in for the output until the first one comes.
 */
function progressAsOutput(job: JobState, outputJson: string | undefined): string | undefined {
  const { status, progressJson } = job.attempt
  return status === 'IN_PROGRESS' && progressJson !== undefined && EMPTY_OUTPUTS.has(outputJson) ? progressJson : outputJson
}

/** Runs the jobs of one worker over a store. */
export class JobEngine {
  readonly options: EngineOptions
  readonly store: Store
  /** Where the worker's setup stands (`/ping`, `/health`). */
  readonly readiness: Readiness
  /** RunPod's `refresh_worker`: whether this process drains to restart (`/ping`, submissions). */
  readonly refresh: WorkerRefresh
  readonly #contexts = new JobContexts()
  readonly #executor: Executor
  readonly #scheduler: Scheduler
  readonly #retention: Retention
  readonly #outputs: OutputView
  readonly #readers: ReaderPresence
  readonly #webhooks: WebhookSender
  /** What this process does for the fleet, with a store shared by processes. */
  readonly #fleet: FleetMember | undefined
  #workerId: string | undefined
  /** SSE readers attached in this process: a refreshing process lets them read to the end. */
  #localReaders = 0

  constructor(options: EngineOptions, store: Store) {
    this.options = options
    this.store = store
    const { jobs, dispatcher } = store
    // A job after a failed setup fails with the setup's error: it would only fail worse without it.
    const handler: EngineOptions['handler'] = (job) => {
      const failed = this.readiness.error
      if (failed) throw Object.assign(new Error(failed.message), { name: failed.type })
      return options.handler(job)
    }
    this.#executor = new Executor({ ...options, handler }, store, {
      ended: (job) => this.#ended(job),
      released: (refreshAsked) => {
        // First: a draining process that leaves the queue to others must not claim for this slot.
        this.refresh.jobReleased(refreshAsked)
        this.#scheduler.slotFreed()
      },
    })
    this.refresh = new WorkerRefresh({
      everyJob: options.refreshWorker,
      exit: options.exit,
      shared: isShared(dispatcher),
      idle: () => this.#idle(),
    })
    this.#retention = new Retention(options, {
      expire: (id, attempt) => void this.#expire(id, attempt),
      remove: (id) => void this.#remove(id),
    })
    this.#outputs = new OutputView(options.aggregation, jobs, (id, attempt) => this.#executor.foldedAggregateJson(id, attempt))
    this.#readers = new ReaderPresence(jobs, options.disconnectGrace, (id, message) => void Promise.resolve(this.cancel(id, message)).catch(() => {}))
    this.#webhooks = new WebhookSender(options.webhooks, (job) => this.statusJson(job))
    this.readiness = new Readiness(options.setup)
    this.#scheduler = new Scheduler(options.concurrency, {
      jobs,
      dispatcher,
      notReady: () => this.readiness.whenSettled(),
      claimsNothing: () => this.refresh.claimsNothing,
      slotsInUse: () => this.#executor.slotsInUse,
      workerId: () => this.workerId,
      run: (writer) => {
        this.#executor.run(writer, this.#contexts.of(writer.lease.id))
        this.#retention.track(writer.job)
      },
    })
    this.#fleet = joinFleet({
      store,
      webhooks: this.#webhooks,
      contexts: this.#contexts,
      local: () => this.#scheduler.workers(),
      limitsOf: (job) => this.#limitsOf(job.request),
      ended: (job) => this.#ended(job),
    })
  }

  /** A request's ttl and execution timeout: its policy's, else the worker's. */
  #limitsOf(request: JobRequest): { ttl: number; executionTimeout: number } {
    return {
      ttl: request.policy?.ttl ?? this.options.ttl,
      executionTimeout: request.policy?.executionTimeout ?? this.options.executionTimeout,
    }
  }

  /**
   * Stops what this engine does on its own timers: for a fleet (sweeps, webhooks from the outbox),
   * and the concurrency modifier's cadence; running jobs go on. The store is the caller's to close.
   */
  close(): void {
    this.#fleet?.close()
    this.#scheduler.close()
  }

  /**
   * This worker's id in status objects. Made on first use, not at start-up: workerd forbids random
   * values in a module's global scope, where `serverless.start` runs.
   */
  get workerId(): string {
    return (this.#workerId ??= this.options.workerId ?? `edgepod-${crypto.randomUUID().slice(0, 8)}`)
  }

  /**
   * Creates a job and queues it; it starts at once when a slot is free. With a store that answers
   * at once, so does this: a job costs no promise to submit.
   */
  submit(request: JobRequest, options: SubmitOptions = {}): Awaitable<JobState> {
    if (this.refresh.refusesJobs) throw draining()
    const id = this.store.newJobId?.() ?? crypto.randomUUID()
    // Before the job is queued: a free slot starts it at once, and its handler reads its env.
    this.#contexts.set(id, options.env, options.executionCtx)
    const origin = options.origin ?? 'run'
    const keep = keepOf(origin, this.options)
    const created = this.store.jobs.create({ id, request, origin, queuedAt: Date.now(), keep, ...this.#limitsOf(request) })
    return whenReady(created, (job) => this.#enqueue(job, options.executionCtx))
  }

  /** Queues a job just created: refused past the queue limit (the job is then forgotten), else kept. */
  #enqueue(job: JobState, executionCtx: ExecutionContextLike | undefined): Awaitable<JobState> {
    const limit = this.#scheduler.hasFreeSlot() ? Infinity : this.options.maxQueue
    const entry = { id: job.id, attempt: 1, lowPriority: job.request.policy?.lowPriority === true }
    let queued: Awaitable<void>
    try {
      queued = this.store.dispatcher.enqueue(entry, limit)
    } catch (error) {
      return this.#refused(job.id, error)
    }
    if (!isPromiseLike(queued)) return this.#accepted(job, executionCtx)
    return Promise.resolve(queued).then(
      () => this.#accepted(job, executionCtx),
      (error: unknown) => this.#refused(job.id, error)
    )
  }

  /** A submission the queue took. */
  #accepted(job: JobState, executionCtx: ExecutionContextLike | undefined): JobState {
    // A job that started at once (the in-memory store's state follows it) has no ttl in the
    // queue to watch.
    if (job.attempt.status === 'IN_QUEUE') this.#retention.track(job)
    this.#hold(executionCtx, job.id, 1)
    return job
  }

  /** A submission the queue refused: the job never was. */
  async #refused(id: string, error: unknown): Promise<never> {
    this.#forget(id)
    await this.store.jobs.delete(id)
    throw error
  }

  /** The job with this id, if it exists and has not expired. */
  get(id: string): Awaitable<JobState | undefined> {
    return this.store.jobs.get(id)
  }

  /** The job with this id, or a `job_not_found` error. */
  require(id: string): Awaitable<JobState> {
    return whenReady(this.store.jobs.get(id), (job) => {
      if (!job) throw jobNotFound(id)
      return job
    })
  }

  /** The status object as JSON text (with the output, unless told otherwise). */
  statusJson(job: JobState, withOutput = true): Awaitable<string> {
    if (!withOutput) return statusJsonOf(job, undefined, Date.now())
    const output = this.#outputs.jsonOf(job)
    if (!isPromiseLike(output)) return statusJsonOf(job, progressAsOutput(job, output), Date.now())
    return Promise.resolve(output).then((json) => statusJsonOf(job, progressAsOutput(job, json), Date.now()))
  }

  /** The status object as a value (for callers inside the process). */
  async status(job: JobState, withOutput = true): Promise<JobStatusObject> {
    return JSON.parse(await this.statusJson(job, withOutput)) as JobStatusObject
  }

  /** Resolves when the job's current attempt has ended, `ms` has passed, or `signal` aborts. */
  waitForEnd(id: string, ms: number, signal?: LazySignal): Promise<void> {
    return waitForSignal((wake) => this.store.jobs.watchEnd(id, wake), ms, signal)
  }

  /**
   * Cancels a job: a queued one never starts, a running one is recorded `CANCELLED` at once and its
   * handler is stopped, wherever it runs. A job that has already ended keeps its status. With a
   * store that answers at once, all of it happens before this returns.
   */
  cancel(id: string, message?: string): Awaitable<JobState> {
    const { jobs, dispatcher } = this.store
    return whenReady(this.require(id), (job) => {
      const attempt = job.attempt
      if (hasEnded(attempt)) return job
      const ending: Ending = {
        status: 'CANCELLED',
        error: jobErrors.cancelled(message),
        finishedAt: Date.now(),
        aggregateJson: this.#executor.foldedAggregateJson(id, attempt.number),
      }
      return whenReady(jobs.finish(id, attempt.number, ending), (ended) => {
        // Another end came first: it is the job's end.
        if (!ended) return whenReady(jobs.get(id), (now) => now ?? job)
        const delivered = ended.attempt.startedAt === undefined ? undefined : dispatcher.deliverCancel(id, attempt.number)
        return whenReady(delivered, () => {
          this.#ended(ended)
          return ended
        })
      })
    })
  }

  /**
   * Puts a `FAILED` or `TIMED_OUT` job back in the queue: same id, same input, a new attempt. The
   * execution context is the retrying request's, so that on Workers it is the one kept alive.
   */
  async retry(id: string, executionCtx?: ExecutionContextLike): Promise<JobState> {
    const { jobs, dispatcher } = this.store
    const job = await this.require(id)
    const { number, status } = job.attempt
    if (status !== 'FAILED' && status !== 'TIMED_OUT') throw notRetryable(id, status)
    if (this.refresh.refusesJobs) throw draining()
    // Checked before the retry is made, so that a refused retry leaves the job as it was.
    if (!this.#scheduler.hasFreeSlot()) {
      const { inQueue } = (await dispatcher.health(this.#scheduler.workers())).jobs
      if (inQueue >= this.options.maxQueue) throw queueFull(inQueue)
    }
    const retried = await jobs.retry(id, number, Date.now())
    if (!retried) throw notRetryable(id, (await jobs.get(id))?.attempt.status ?? status)
    this.#contexts.set(id, this.#contexts.of(id).env, executionCtx)
    this.#retention.track(retried)
    await dispatcher.enqueue({ id, attempt: number + 1, lowPriority: job.request.policy?.lowPriority === true }, Infinity)
    this.#hold(executionCtx, id, number + 1)
    return retried
  }

  /** Cancels every queued job; running jobs go on. Answers how many were removed. */
  async purgeQueue(): Promise<number> {
    const { dispatcher } = this.store
    if (dispatcher.purgeElsewhere) return dispatcher.purgeElsewhere()
    let removed = 0
    for (const entry of await this.store.dispatcher.purge()) {
      const ending: Ending = { status: 'CANCELLED', error: jobErrors.cancelled('removed from the queue by /purge-queue'), finishedAt: Date.now(), queuedOnly: true }
      const ended = await this.store.jobs.finish(entry.id, entry.attempt, ending)
      if (!ended) continue
      removed++
      this.#ended(ended)
    }
    return removed
  }

  /** RunPod's `/health` counts. */
  health(): Awaitable<HealthReport> {
    const state = this.readiness.state
    // RunPod's SDK names these too: this process is setting up, or ready to run jobs.
    const own = { initializing: state === 'initializing' ? 1 : 0, ready: state === 'ready' ? 1 : 0, throttled: 0 }
    return whenReady(this.store.dispatcher.health(this.#scheduler.workers()), (report) => ({ ...report, workers: { ...report.workers, ...own } }))
  }

  /** A reader of the job's SSE stream arrived. */
  attachReader(job: JobState): void {
    this.#localReaders++
    this.#readers.attach(job)
  }

  /** A reader left; when the last reader of a `POST /stream` job leaves, the grace period starts. */
  detachReader(job: JobState): void {
    this.#localReaders--
    this.#readers.detach(job)
    this.refresh.check()
  }

  /**
   * Sets how many jobs run at once from now on, in place of the config's: a worker file run by
   * itself with RunPod's `--rp_api_concurrency`.
   */
  setConcurrency(concurrency: Concurrency): void {
    this.#scheduler.setConcurrency(concurrency)
  }

  /**
   * True when a refreshing process may exit: no handler runs here, no reader reads here, and
   * (with a store of its own) nothing waits in its queue.
   */
  #idle(): Awaitable<boolean> {
    if (this.#executor.slotsInUse > 0 || this.#localReaders > 0) return false
    if (this.refresh.shared) return true
    return whenReady(this.store.dispatcher.health(this.#scheduler.workers()), (report) => report.jobs.inQueue === 0)
  }

  /** A polled read counts as interest: it restarts a running grace period. */
  touch(job: JobState): void {
    this.#readers.touch(job)
  }

  /** A draining polled read returned everything up to `seq`. */
  markDrained(job: JobState, seq: number): Awaitable<void> {
    return this.store.jobs.markDrained(job.id, job.attempt.number, seq)
  }

  /**
   * Takes in the jobs a durable store kept across a restart (see restore.ts); `env` is the
   * runtime's bindings, for their handlers.
   */
  restore(restored: readonly JobState[], env?: unknown): Promise<void> {
    return restoreJobs(this.store, restored, {
      held: (job) => {
        this.#contexts.set(job.id, env, undefined)
        this.#retention.track(job)
      },
      ended: (job) => this.#ended(job),
    })
  }

  /**
   * The earliest time a deadline of this engine comes (a ttl, a running job's execution timeout),
   * or undefined with no job: a Durable Object sets its alarm to it.
   */
  nextDeadline(): number | undefined {
    const retained = this.#retention.nextDeadline()
    const running = this.#executor.nextTimeout()
    return retained === undefined ? running : running === undefined ? retained : Math.min(retained, running)
  }

  /** How many jobs this engine holds, of any status: ended ones stay until their retention runs out. */
  get heldJobs(): number {
    return this.#retention.size + this.#executor.running
  }

  /** How many webhook deliveries are under way (retries included). */
  get webhooksUnderWay(): number {
    return this.#webhooks.underWay
  }

  /**
   * This process ended an attempt: it is kept until its retention runs out, and its webhook goes
   * out (from the store's outbox, by whichever member takes it, when the store has one).
   */
  #ended(job: JobState): void {
    this.#retention.track(job)
    this.#readers.ended(job.id)
    if (this.store.outbox) return
    this.#webhooks.send(job, this.#contexts.of(job.id))?.catch((error: unknown) => logFailure('a webhook could not be sent', error))
  }

  /** The ttl of a queued attempt passed before it started. */
  async #expire(id: string, attempt: number): Promise<void> {
    const job = await this.store.jobs.get(id)
    if (!job) return this.#forget(id)
    const ttl = job.request.policy?.ttl ?? this.options.ttl
    const ended = await this.store.jobs.finish(id, attempt, { status: 'TIMED_OUT', error: jobErrors.ttlExpired(ttl), finishedAt: Date.now(), queuedOnly: true })
    if (ended) this.#ended(ended)
    else this.#retention.track((await this.store.jobs.get(id)) ?? job)
  }

  async #remove(id: string): Promise<void> {
    this.#forget(id)
    await this.store.jobs.delete(id)
  }

  #forget(id: string): void {
    this.#retention.forget(id)
    this.#readers.ended(id)
    this.#contexts.delete(id)
  }

  /** Keeps a Workers request alive until attempt `attempt` of `id` has ended and its handler finished. */
  #hold(executionCtx: ExecutionContextLike | undefined, id: string, attempt: number): void {
    this.#contexts.hold(
      executionCtx,
      () => new Promise<void>((resolve) => this.store.jobs.watchEnd(id, resolve)),
      () => this.#executor.releasedOf(id, attempt)
    )
  }
}

/**
 * The executor: what runs in this process. It turns a started attempt into an {@link Execution}
 * (the handler, its signal, its slot, its timers), stops executions that were ended elsewhere, and
 * renews the leases of a store whose leases run out.
 * @module
 */
import { logFailure } from '../errors.ts'
import type { ErrorDetail, ExecutionContextLike, Job } from '../types.ts'
import { whenReady } from '../awaitable.ts'
import type { AttemptWriter, Dispatcher, JobStore, Store } from '../store/store.ts'
import type { JobState } from '../store/job-state.ts'
import { driveHandler } from './drive-handler.ts'
import { Execution } from './execution.ts'
import type { ExecutionHooks } from './execution.ts'
import type { SinkOptions } from './job-sink.ts'
import { JobSink } from './job-sink.ts'
import { JobFiles } from '../offload/job-files.ts'
import type { BucketConfig } from '../offload/bucket-config.ts'
import { startTimer } from './timers.ts'
import { HandlerJob } from './handler-job.ts'
import { Deadlines } from './deadlines.ts'

/** What the executor needs to know. */
export interface ExecutorOptions extends SinkOptions {
  handler: (job: Job<never, never>) => unknown
  /** Default `policy.executionTimeout`, ms. */
  executionTimeout: number
  /** How long a stopped handler may take to run its cleanup before its slot is freed anyway, ms. */
  cleanupTimeout: number
  /** Where `job.upload` puts files when the request brings no `s3Config`. */
  bucket: BucketConfig | undefined
  /** Put an output or a result over the limits in the job's bucket instead of failing the job. */
  spill: boolean
}

/** What a handler's job carries from the request that submitted (or retried) it. */
export interface JobContext {
  env: unknown
  executionCtx: ExecutionContextLike | undefined
}

/** What the executor tells the engine. */
export interface ExecutorHooks {
  /** This process ended an attempt. */
  ended(job: JobState): void
  /** A slot is free again; `refreshAsked` when the job's result asked for `refresh_worker`. */
  released(refreshAsked: boolean): void
}

/** Runs the attempts this process has started. */
export class Executor {
  readonly #options: ExecutorOptions
  readonly #jobs: JobStore
  readonly #dispatcher: Dispatcher
  readonly #hooks: ExecutorHooks
  /** The running attempt of each job, by id; an attempt still cleaning up stays until released. */
  readonly #running = new Map<string, Execution>()
  /** What every execution tells this executor: one object for all, not closures per job. */
  readonly #executionHooks: ExecutionHooks
  #slots = 0
  #renewal: unknown

  constructor(options: ExecutorOptions, store: Store, hooks: ExecutorHooks) {
    this.#options = options
    this.#jobs = store.jobs
    this.#dispatcher = store.dispatcher
    this.#hooks = hooks
    store.dispatcher.onCancel((id, attempt) => this.stop(id, attempt))
    this.#executionHooks = {
      ended: (job) => hooks.ended(job),
      released: (execution) => this.#released(execution),
      timeouts: new Deadlines((execution, ms) => execution.timedOut(ms)),
    }
  }

  /** Slots in use: attempts whose handler has not settled (nor run out of cleanup time). */
  get slotsInUse(): number {
    return this.#slots
  }

  /** Runs a started attempt's handler under its writer's lease. */
  run(writer: AttemptWriter, context: JobContext): Execution {
    const { request } = writer.job
    const executionTimeout = request.policy?.executionTimeout ?? this.#options.executionTimeout
    const execution = new Execution(writer, { executionTimeout, cleanupTimeout: this.#options.cleanupTimeout }, this.#executionHooks)
    // Made at the first upload: most jobs upload nothing, and each object a job makes costs.
    let files: JobFiles | undefined
    const filesOf = () =>
      (files ??= new JobFiles(
        { id: writer.lease.id, attempt: writer.lease.attempt, request, env: context.env, signal: execution.signal },
        this.#options.bucket
      ))
    const sink = new JobSink(writer, execution, this.#options, this.#options.spill ? filesOf : undefined)
    execution.sink = sink
    this.#slots++
    this.#running.set(writer.lease.id, execution)
    this.#renewLater()
    const job = new HandlerJob(writer.lease.id, request, context, execution, sink, filesOf)
    execution.run(() => driveHandler(this.#options.handler, job, execution, sink))
    return execution
  }

  /** Attempts running here whose end is not recorded yet. */
  get running(): number {
    let running = 0
    for (const execution of this.#running.values()) if (!execution.ended) running++
    return running
  }

  /** When the first execution timeout of an attempt running here comes, or undefined with none. */
  nextTimeout(): number | undefined {
    return this.#executionHooks.timeouts.next()
  }

  /**
   * Stops attempt `attempt` of `id` if it runs here: it was ended elsewhere. The handler's signal
   * aborts with the reason the job ended with (`error`, or the one the store holds).
   */
  stop(id: string, attempt: number, error?: ErrorDetail): void {
    const execution = this.#running.get(id)
    if (execution?.lease.attempt !== attempt) return
    if (error) return execution.stop(error)
    // A store that cannot say why stops it without the reason rather than not at all.
    void Promise.resolve(whenReady(this.#jobs.get(id), (job) => execution.stop(job?.attempt.number === attempt ? job.attempt.error : undefined))).catch(
      () => execution.stop()
    )
  }

  /** The `concat` or reducer aggregate of attempt `attempt` of `id` so far, when it runs here. */
  foldedAggregateJson(id: string, attempt: number): string | undefined {
    const execution = this.#running.get(id)
    return execution?.lease.attempt === attempt ? execution.sink.foldedAggregateJson() : undefined
  }

  /** Settles when attempt `attempt` of `id` has freed its slot here (at once when it never ran here). */
  releasedOf(id: string, attempt: number): Promise<void> | undefined {
    const execution = this.#running.get(id)
    return execution?.lease.attempt === attempt ? execution.released : undefined
  }

  #released(execution: Execution): void {
    this.#slots--
    if (this.#running.get(execution.lease.id) === execution) this.#running.delete(execution.lease.id)
    // A release that fails leaves the claim to run out: a sweep then finds its attempt ended.
    void Promise.resolve(this.#dispatcher.release(execution.lease)).catch((error: unknown) => logFailure('releasing a job’s claim failed', error))
    this.#hooks.released(execution.refreshAsked)
  }

  /**
   * Renews the leases of running attempts a third of a lease before they would run out, while
   * there are any; attempts whose lease is lost are stopped. Nothing to do for a store whose
   * leases never run out (in memory).
   */
  #renewLater(): void {
    const leaseMs = this.#dispatcher.leaseMs
    if (!Number.isFinite(leaseMs) || this.#renewal !== undefined) return
    this.#renewal = startTimer(async () => {
      this.#renewal = undefined
      const running = [...this.#running.values()].filter((execution) => !execution.ended)
      if (running.length === 0) return
      try {
        const lost = await this.#dispatcher.renew(running.map((execution) => execution.lease))
        for (const lease of lost) this.stop(lease.id, lease.attempt, { type: 'AbortError', message: 'the job’s lease was lost' })
      } catch (error) {
        logFailure('renewing leases failed', error)
      }
      if (this.#running.size > 0) this.#renewLater()
    }, leaseMs / 3)
  }

}

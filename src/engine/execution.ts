/**
 * One attempt of a job running in this process: its handler, the handler's `AbortSignal`, its
 * concurrency slot, its execution timeout and the bounded time its cleanup may take. Everything
 * else about the job lives in the store; this is what cannot.
 * @module
 */
import type { ErrorDetail } from '../types.ts'
import type { OutputSource } from '../handler/output-source.ts'
import { isPromiseLike } from '../awaitable.ts'
import type { AttemptWriter } from '../store/store.ts'
import type { Ending, JobState, Lease } from '../store/job-state.ts'
import { jobErrors, logFailure } from '../errors.ts'
import type { DrivenRun } from './drive-handler.ts'
import type { JobSink, Outcome, SinkRun } from './job-sink.ts'
import type { Deadlines } from './deadlines.ts'
import { cancelTimer, startTimer } from './timers.ts'
import { onWorkerd } from '../runtime.ts'

/** What an execution tells the process that runs it. */
export interface ExecutionHooks {
  /** This process ended the attempt (the handler finished, a limit, the timeout): the store says so. */
  ended(job: JobState): void
  /** The slot is free: the handler has settled, or its cleanup time ran out. */
  released(execution: Execution): void
  /**
   * The execution timeouts of the process, each with its `ms`: one timer for all, where timers
   * outlive their request (deadlines.ts). Set in the constructor, so that on workerd an execution's
   * own timer is made in the request that runs it.
   */
  readonly timeouts: Deadlines<Execution, number>
}

/** The settings of one execution. */
export interface ExecutionOptions {
  /** How long the attempt may run, ms. */
  executionTimeout: number
  /** How long a stopped handler may take to run its cleanup before its slot is freed anyway, ms. */
  cleanupTimeout: number
}

/** One attempt's run in this process. */
export class Execution implements SinkRun, DrivenRun {
  readonly writer: AttemptWriter
  /** Set once, right after the execution is made: the sink needs the execution too. */
  sink!: JobSink
  /** True once the attempt's end is recorded, whoever recorded it. */
  ended = false
  stopReason: unknown = undefined
  source: OutputSource | undefined = undefined
  /** The handler's result asked for `refresh_worker`. */
  refreshAsked = false
  /** Settles when the handler has returned or thrown, whatever the job's status. */
  settled: Promise<void> | undefined
  readonly #options: ExecutionOptions
  readonly #hooks: ExecutionHooks
  #controller: AbortController | undefined
  #stopped = false
  #stopping = false
  #isReleased = false
  #released: Promise<void> | undefined
  #markReleased: (() => void) | undefined
  /** On workerd, settles the promise whose callback stops the handler (see the constructor). */
  #requestStop: ((reason: unknown) => void) | undefined
  #cleanup: unknown

  constructor(writer: AttemptWriter, options: ExecutionOptions, hooks: ExecutionHooks) {
    this.writer = writer
    this.#options = options
    this.#hooks = hooks
    // On workerd the stop runs in a callback made here, in the execution's own request: workerd
    // forbids aborting a controller or closing a stream from another request (a /cancel), but lets
    // that request settle a promise. Elsewhere no promise is made for a stop that seldom comes.
    if (onWorkerd()) void new Promise<unknown>((resolve) => (this.#requestStop = resolve)).then((reason) => this.#stopHandler(reason))
    const ms = options.executionTimeout
    hooks.timeouts.set(this, Date.now() + ms, ms)
  }

  /** The execution timeout of `ms` came (from {@link ExecutionHooks.timeouts}). */
  timedOut(ms: number): void {
    this.end({ status: 'TIMED_OUT', error: jobErrors.executionTimeout(ms) }, false)
  }

  /**
   * Settles when the slot is freed: the handler has settled, or its cleanup time ran out. Made
   * when asked for (Workers keep the request alive with it), not for every job.
   */
  get released(): Promise<void> {
    if (this.#isReleased) return (this.#released ??= Promise.resolve())
    return (this.#released ??= new Promise<void>((resolve) => (this.#markReleased = resolve)))
  }

  /** The lease the attempt runs under. */
  get lease(): Lease {
    return this.writer.lease
  }

  /**
   * The handler's `job.signal`, made on first use: most handlers never read it, and an
   * AbortController costs more than the rest of a small job on Node.
   */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController()
      if (this.#stopped) this.#controller.abort(this.stopReason)
    }
    return this.#controller.signal
  }

  /** Runs `drive` (the handler to its end); the slot is freed when it settles. */
  run(drive: () => Promise<void>): void {
    this.settled = drive()
      // Only a bug in edgepod gets here: the job still ends, rather than stay IN_PROGRESS unseen.
      .catch((error: unknown) => {
        console.error('edgepod: internal error while running a job', error)
        this.end({ status: 'FAILED', error: jobErrors.internal() }, false)
      })
      .finally(() => this.release())
    if (this.#cleanup !== undefined) void this.settled.finally(() => cancelTimer(this.#cleanup))
  }

  /**
   * Records the attempt's end from this process, once: what is on its way to the store lands
   * first, then the store writes the end with its `done` event. A handler that had not finished on
   * its own is stopped.
   */
  end(outcome: Outcome, handlerDone: boolean): void {
    if (this.ended) return
    this.ended = true
    this.#hooks.timeouts.delete(this)
    if (outcome.refresh) this.refreshAsked = true
    const ending: Ending = {
      status: outcome.status,
      error: outcome.error,
      result: outcome.result,
      finishedAt: Date.now(),
      aggregateJson: outcome.aggregateJson ?? this.sink.foldedAggregateJson(),
    }
    const drained = this.sink.drained()
    if (drained) void drained.then(() => this.#finish(ending))
    else this.#finish(ending)
    if (handlerDone) this.release()
    else if (outcome.status !== 'COMPLETED') this.#stop(outcome.error)
  }

  /** Writes the attempt's end to the store; the engine hears of it when it was this call that ended it. */
  #finish(ending: Ending): void {
    const ended = this.writer.finish(ending)
    // A store that stays unreachable past the writer's retries: the attempt's lease runs out, and
    // a member ends it worker_lost once the store answers again.
    if (isPromiseLike(ended)) {
      void Promise.resolve(ended).then(
        (job) => job && this.#hooks.ended(job),
        (error: unknown) => logFailure(`the end of job ${this.lease.id} could not be written`, error)
      )
    }
    else if (ended) this.#hooks.ended(ended)
  }

  /** The attempt was ended elsewhere (a cancel, a lost lease): stop the handler. */
  stop(error?: ErrorDetail): void {
    this.ended = true
    this.#hooks.timeouts.delete(this)
    this.#stop(error)
  }

  /** The store refused a write: the attempt is no longer this process's to run. */
  lost(): void {
    this.stop({ type: 'AbortError', message: 'the job was ended elsewhere' })
  }

  /** Frees the slot, once. */
  release(): void {
    if (this.#isReleased) return
    this.#isReleased = true
    cancelTimer(this.#cleanup)
    this.#markReleased?.()
    this.#hooks.released(this)
  }

  /** Aborts the handler's signal and stops its source. */
  #stopHandler(reason: unknown): void {
    this.#stopped = true
    this.stopReason = reason
    this.#controller?.abort(reason)
    void this.source?.stop(reason)
  }

  /** Asks for the handler's stop, giving its cleanup a bounded time. */
  #stop(error: ErrorDetail | undefined): void {
    if (this.#stopping) return
    this.#stopping = true
    const reason = new DOMException(error?.message ?? 'job ended', error?.type === 'TimeoutError' ? 'TimeoutError' : 'AbortError')
    // A microtask later either way, as the promise's callback runs on workerd.
    if (this.#requestStop) this.#requestStop(reason)
    else queueMicrotask(() => this.#stopHandler(reason))
    if (this.#isReleased) return
    this.#cleanup = startTimer(() => this.release(), this.#options.cleanupTimeout)
    void this.settled?.finally(() => cancelTimer(this.#cleanup))
  }
}

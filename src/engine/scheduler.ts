/**
 * Scheduling: how many jobs this process runs at once (a number, or RunPod's concurrency
 * modifier), and the claiming of queued work for its free slots.
 * @module
 */
import { ConcurrencyLimit } from './concurrency-limit.ts'
import { DEFAULTS } from '../limits.ts'
import { isStoreUnavailable, logFailure } from '../errors.ts'
import { isPromiseLike } from '../awaitable.ts'
import type { AttemptWriter, Dispatcher, JobStore, WorkerCounts } from '../store/store.ts'
import type { Lease } from '../store/job-state.ts'

/** RunPod's concurrency modifier: called with the current concurrency, returns the wanted one. */
export type Concurrency = number | ((current: number) => number)

/** What the scheduler starts claimed work with. */
export interface SchedulerDeps {
  jobs: JobStore
  dispatcher: Dispatcher
  /** Slots in use now. */
  slotsInUse(): number
  /** The `workerId` a started attempt records. */
  workerId(): string
  /** Runs a started attempt. */
  run(writer: AttemptWriter): void
  /** While the worker's setup runs, what settles when it has: nothing is claimed before. */
  notReady?(): Promise<void> | undefined
  /** True while this process claims nothing (it drains to restart, and others take the queue). */
  claimsNothing?(): boolean
}

/** Claims queued work for this process's free slots. */
export class Scheduler {
  #limit: ConcurrencyLimit
  readonly #deps: SchedulerDeps
  #pumping = false
  #again = false
  /**
   * True since a claim found the queue empty, until the dispatcher tells of new work: a slot freed
   * meanwhile has nothing to claim, and asks nothing of the store.
   */
  #drained = false
  /** The timer that asks a modifier function on its cadence, once the first pass started it. */
  #cadence: ReturnType<typeof setInterval> | undefined

  constructor(concurrency: Concurrency, deps: SchedulerDeps) {
    this.#limit = new ConcurrencyLimit(concurrency)
    this.#deps = deps
    deps.dispatcher.onWork(() => {
      this.#drained = false
      this.pump()
    })
  }

  /** A slot is free again: claim for it, unless the queue was found empty since the last news of work. */
  slotFreed(): void {
    if (!this.#drained) this.pump()
  }

  /** True when a job submitted now would start at once: it never waits behind the queue limit. */
  hasFreeSlot(): boolean {
    return this.#deps.slotsInUse() < this.#limit.current
  }

  /** This process's slots, for `/health`; with no limit there is always room for one more job. */
  workers(): WorkerCounts {
    const running = this.#deps.slotsInUse()
    return { idle: Number.isFinite(this.#limit.current) ? Math.max(0, this.#limit.current - running) : 1, running }
  }

  /**
   * Takes queued work while slots are free. Claims and starts go one after the other; a call made
   * while a pass is under way makes that pass look again rather than run beside it.
   */
  pump(): void {
    this.#askOnCadence()
    if (this.#pumping) {
      this.#again = true
      return
    }
    this.#pumping = true
    this.#again = false
    let pass: void | Promise<void>
    try {
      pass = this.#fill()
    } catch (error) {
      logFailure('claiming queued jobs failed', error)
      return this.#passed()
    }
    if (!isPromiseLike(pass)) return this.#passed()
    Promise.resolve(pass).then(
      () => this.#passed(),
      (error: unknown) => {
        // While the store is unreachable, the client says so once, not every beat.
        if (!isStoreUnavailable(error)) logFailure('claiming queued jobs failed', error)
        this.#passed()
      }
    )
  }

  /**
   * RunPod asks its `concurrency_modifier` about once a second, idle or not: a raised limit takes
   * queued work at once, a lowered one as running jobs finish (nothing is stopped). Started by the
   * first pass (on Workers, inside a request), never keeping a process alive by itself.
   */
  #askOnCadence(): void {
    if (!this.#limit.modifies || this.#cadence !== undefined) return
    this.#cadence = setInterval(() => {
      const before = this.#limit.current
      if (this.#limit.now() > before) this.pump()
    }, DEFAULTS.concurrencyCadence)
    ;(this.#cadence as { unref?: () => void }).unref?.()
  }

  /**
   * Sets the concurrency from now on, in place of the config's (`--rp_api_concurrency` of a worker
   * file run by itself): a raised limit takes queued work at once.
   */
  setConcurrency(concurrency: Concurrency): void {
    this.#limit = new ConcurrencyLimit(concurrency)
    this.pump()
  }

  /** Stops asking the modifier (the engine is closed). */
  close(): void {
    clearInterval(this.#cadence)
    this.#cadence = undefined
  }

  /** A pass ended: another runs if one was asked for meanwhile. */
  #passed(): void {
    this.#pumping = false
    if (this.#again) this.pump()
  }

  /** Claims for the free slots until none is free or nothing is queued. */
  #fill(): void | Promise<void> {
    // Jobs wait in the queue while the worker's setup runs; the pass goes on once it has run.
    const setup = this.#deps.notReady?.()
    if (setup) return setup.then(() => this.#fill())
    for (;;) {
      if (this.#deps.claimsNothing?.()) return
      const free = this.#limit.now() - this.#deps.slotsInUse()
      if (free <= 0) return
      const claimed = this.#deps.dispatcher.claim(free)
      if (isPromiseLike(claimed)) {
        return Promise.resolve(claimed)
          .then((leases) => this.#startAll(leases, free))
          .then((more) => (more ? this.#fill() : undefined))
      }
      const started = this.#startAll(claimed, free)
      if (isPromiseLike(started)) return Promise.resolve(started).then((more) => (more ? this.#fill() : undefined))
      if (!started) return
    }
  }

  /**
   * Starts every claimed attempt that is still queued; true when the queue may hold more (the
   * claim took all `asked` for).
   */
  #startAll(leases: Lease[], asked: number): boolean | Promise<boolean> {
    if (leases.length < asked) this.#drained = true
    if (leases.length === 0) return false
    const deps = this.#deps
    let pending: Promise<unknown> | undefined
    for (const lease of leases) {
      const writer = deps.jobs.start(lease, deps.workerId(), Date.now())
      if (isPromiseLike(writer)) pending = Promise.all([pending, Promise.resolve(writer).then((ready) => this.#started(lease, ready))])
      else this.#started(lease, writer)
    }
    const more = leases.length >= asked
    return pending ? pending.then(() => more) : more
  }

  /** Runs a started attempt; a claim the store would not start gives its lease back. */
  #started(lease: Lease, writer: AttemptWriter | undefined): void {
    if (writer) this.#deps.run(writer)
    else void this.#deps.dispatcher.release(lease)
  }
}

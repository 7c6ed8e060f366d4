/**
 * The Durable Object store: the in-memory store of one object, with every change written down to
 * the object's storage, so that a restarted object still answers `/status` and replays streams.
 * Reads are the memory's; each write goes to the memory first, then to storage at the end of the
 * task, or before a reader is shown it, whichever comes first (see durable-rows.ts).
 * @module
 */
import type { AttemptWriter, Dispatcher, JobStore, LogRead, Store } from '../../store/store.ts'
import { eventsOf } from '../../store/store.ts'
import type { Ending, EventBatch, JobState, Lease, NewJob } from '../../store/job-state.ts'
import { MemoryDispatcher } from '../../store/memory/memory-dispatcher.ts'
import { MemoryJobs } from '../../store/memory/memory-jobs.ts'
import type { MemoryAttemptWriter } from '../../store/memory/memory-writer.ts'
import type { DurableStorageLike } from './durable-rows.ts'
import { DurableRows } from './durable-rows.ts'

/** Options of {@link DurableStore}. */
export interface DurableStoreOptions {
  /** How long writes gather before they go out, ms. @default 0: until the end of the turn */
  flushDelay?: number | undefined
  /** The dispatcher, over the store's memory and the memory's own. @default the memory's */
  dispatcher?: ((memory: MemoryJobs, local: MemoryDispatcher) => Dispatcher) | undefined
  /** Hears every attempt this store ended (any way), once. */
  onEnded?: ((job: JobState) => void) | undefined
  /** The id of the job created next: a job's own object knows it. @default a random one */
  newJobId?: (() => string) | undefined
}

/** A store whose jobs outlive the object's memory. */
export class DurableStore implements Store {
  readonly jobs: PersistedJobs
  readonly dispatcher: Dispatcher
  readonly newJobId: (() => string) | undefined
  readonly #rows: DurableRows

  constructor(storage: DurableStorageLike, options: DurableStoreOptions = {}) {
    const memory = new MemoryJobs()
    let jobs: PersistedJobs | undefined
    this.#rows = new DurableRows(storage, options.flushDelay, (id, lastSeq) => jobs?.written(id, lastSeq))
    this.jobs = jobs = new PersistedJobs(memory, this.#rows, options.onEnded)
    const local = new MemoryDispatcher(memory)
    this.dispatcher = options.dispatcher?.(memory, local) ?? local
    this.newJobId = options.newJobId
  }

  /** Reads the stored jobs back into memory; answers them, oldest first, for the engine to restore. */
  async load(): Promise<JobState[]> {
    return (await this.#rows.load()).map(({ job, events }) => this.jobs.restore(job.state, job.order, events))
  }

  /** Writes what is pending now; resolves when every write so far is stored. */
  flush(): Promise<void> {
    return this.#rows.flush()
  }
}

/** The jobs of a {@link MemoryJobs}, each change written down. */
export class PersistedJobs implements JobStore {
  readonly #memory: MemoryJobs
  readonly #rows: DurableRows
  readonly #onEnded: ((job: JobState) => void) | undefined
  readonly #order = new Map<string, number>()
  /** The last seq of each job's log that a put was made with. */
  readonly #written = new Map<string, number>()
  #submitted = 0

  constructor(memory: MemoryJobs, rows: DurableRows, onEnded?: (job: JobState) => void) {
    this.#memory = memory
    this.#rows = rows
    this.#onEnded = onEnded
  }

  /** Holds a stored job again, with the events of its current attempt. */
  restore(state: JobState, order: number, events: Parameters<MemoryJobs['restore']>[1]): JobState {
    this.#order.set(state.id, order)
    this.#submitted = Math.max(this.#submitted, order + 1)
    this.#written.set(state.id, state.attempt.lastSeq)
    return this.#memory.restore(state, events)
  }

  /** A put was made with the job's events up to `lastSeq`. */
  written(id: string, lastSeq: number): void {
    if (lastSeq > (this.#written.get(id) ?? 0)) this.#written.set(id, lastSeq)
  }

  create(job: NewJob): JobState {
    this.#order.set(job.id, this.#submitted++)
    return this.save(this.#memory.create(job))
  }

  get(id: string): JobState | undefined {
    return this.#memory.get(id)
  }

  /**
   * The memory's read. Events not yet written are written first (the puts made now, before this
   * answers): a reader is never shown an event a crash could take back.
   */
  read(id: string, after: number, maxChars?: number): LogRead | undefined {
    const read = this.#memory.read(id, after, maxChars)
    if (read && read.lastSeq > (this.#written.get(id) ?? 0)) void this.#rows.flush()
    return read
  }

  watch(id: string, after: number, wake: () => void): void {
    this.#memory.watch(id, after, wake)
  }

  unwatch(id: string, wake: () => void): void {
    this.#memory.unwatch(id, wake)
  }

  watchEnd(id: string, wake: () => void): () => void {
    return this.#memory.watchEnd(id, wake)
  }

  start(lease: Lease, workerId: string, startedAt: number): AttemptWriter | undefined {
    const writer = this.#memory.start(lease, workerId, startedAt)
    if (!writer) return undefined
    this.save(writer.job)
    return new PersistedWriter(writer, this)
  }

  finish(id: string, attempt: number, ending: Ending): JobState | undefined {
    return this.ended(id, () => this.#memory.finish(id, attempt, ending))
  }

  /** Runs `finish`, then writes down the job and the events it added (the result, `done`). */
  ended(id: string, finish: () => JobState | undefined): JobState | undefined {
    const before = this.#memory.get(id)?.attempt.lastSeq ?? 0
    const ended = finish()
    if (!ended) return undefined
    this.#rows.saveEvents(id, eventsOf(this.#memory.read(id, before)))
    this.save(ended)
    this.#onEnded?.(ended)
    return ended
  }

  /** Writes down events just appended after `before`. */
  appended(id: string, before: number, batch: EventBatch): void {
    const { types, jsons } = batch
    this.#rows.saveEvents(id, jsons.map((json, index) => ({ seq: before + index + 1, type: types[index]!, json })))
    const job = this.#memory.get(id)
    if (job && types.includes('progress')) this.save(job)
  }

  retry(id: string, attempt: number, queuedAt: number): JobState | undefined {
    const retried = this.#memory.retry(id, attempt, queuedAt)
    return retried && this.save(retried)
  }

  markDrained(id: string, attempt: number, seq: number): void {
    this.#memory.markDrained(id, attempt, seq)
    const job = this.#memory.get(id)
    if (job) this.save(job)
  }

  readers(id: string, change: -1 | 0 | 1): number {
    return this.#memory.readers(id, change)
  }

  delete(id: string): void {
    this.#memory.delete(id)
    this.#order.delete(id)
    this.#written.delete(id)
    this.#rows.deleteJob(id)
  }

  /** Writes down the job's row. */
  save(job: JobState): JobState {
    this.#rows.saveJob({ state: job, order: this.#order.get(job.id) ?? 0 })
    return job
  }
}

/** A writer of the memory's, whose appends and end are written down too. */
class PersistedWriter implements AttemptWriter {
  readonly #inner: MemoryAttemptWriter
  readonly #jobs: PersistedJobs

  constructor(inner: MemoryAttemptWriter, jobs: PersistedJobs) {
    this.#inner = inner
    this.#jobs = jobs
  }

  get lease(): Lease {
    return this.#inner.lease
  }

  get job(): JobState {
    return this.#inner.job
  }

  streaming(): boolean {
    if (!this.#inner.streaming()) return false
    this.#jobs.save(this.job)
    return true
  }

  append(batch: EventBatch): boolean {
    const before = this.#inner.job.attempt.lastSeq
    if (!this.#inner.append(batch)) return false
    this.#jobs.appended(this.lease.id, before, batch)
    return true
  }

  outputBytesFrom(index: number): number {
    return this.#inner.outputBytesFrom(index)
  }

  finish(ending: Ending): JobState | undefined {
    return this.#jobs.ended(this.lease.id, () => this.#inner.finish(ending))
  }
}

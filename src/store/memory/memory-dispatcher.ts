/**
 * The dispatcher part of the in-memory store: the queue of one process, FIFO with low priority
 * after, and the counts of `/health`. Leases never run out here: the store lives and dies with the
 * process that holds them.
 * @module
 */
import { queueFull } from '../../errors.ts'
import type { HealthReport } from '../../types.ts'
import type { Dispatcher, QueueEntry, WorkerCounts } from '../store.ts'
import type { Lease } from '../job-state.ts'
import { Fifo } from './fifo.ts'
import type { MemoryJobs } from './memory-jobs.ts'

/** The queue and leases of a {@link MemoryJobs}. */
export class MemoryDispatcher implements Dispatcher {
  readonly leaseMs = Infinity
  readonly #jobs: MemoryJobs
  // Entries carry the attempt they queued: a job that left the queue (cancelled, timed out) and
  // was retried must not start from its old place, ahead of jobs queued since.
  readonly #queue = new Fifo<QueueEntry>()
  readonly #lowPriority = new Fifo<QueueEntry>()
  readonly #cancelListeners = new Set<(id: string, attempt: number) => void>()
  readonly #workListeners = new Set<() => void>()

  constructor(jobs: MemoryJobs) {
    this.#jobs = jobs
  }

  enqueue(entry: QueueEntry, limit: number): void {
    const attempt = this.#jobs.entry(entry.id)?.state.attempt
    // The counts already hold an attempt that is queued in the job store: it is not "another".
    const own = attempt?.number === entry.attempt && attempt.status === 'IN_QUEUE' ? 1 : 0
    const waiting = this.#jobs.counts.inQueue - own
    if (waiting >= limit) throw queueFull(waiting)
    if (entry.lowPriority) this.#lowPriority.push(entry)
    else this.#queue.push(entry)
    for (const listener of this.#workListeners) listener()
  }

  claim(max: number): Lease[] {
    const leases: Lease[] = []
    while (leases.length < max) {
      const entry = this.#queue.shift() ?? this.#lowPriority.shift()
      if (!entry) break
      const attempt = this.#jobs.entry(entry.id)?.state.attempt
      // An entry whose attempt ended while it waited (cancelled, purged, expired) is dropped here.
      if (attempt?.number !== entry.attempt || attempt.status !== 'IN_QUEUE') continue
      leases.push({ id: entry.id, attempt: entry.attempt, token: this.#jobs.nextToken() })
    }
    return leases
  }

  renew(leases: readonly Lease[]): Lease[] {
    return leases.filter((lease) => this.#jobs.entry(lease.id)?.token !== lease.token)
  }

  release(): void {
    // Slots are the engine's own: nothing is held here past the attempt's end.
  }

  deliverCancel(id: string, attempt: number): void {
    for (const listener of [...this.#cancelListeners]) listener(id, attempt)
  }

  onCancel(listener: (id: string, attempt: number) => void): () => void {
    this.#cancelListeners.add(listener)
    return () => this.#cancelListeners.delete(listener)
  }

  onWork(listener: () => void): () => void {
    this.#workListeners.add(listener)
    return () => this.#workListeners.delete(listener)
  }

  purge(): QueueEntry[] {
    return [...this.#queue.drain(), ...this.#lowPriority.drain()]
  }

  health(local: WorkerCounts): HealthReport {
    return { jobs: { ...this.#jobs.counts }, workers: { ...local } }
  }
}

/**
 * The dispatcher of a job's Durable Object: the deployment's queue and slots are the coordinator's,
 * so queueing an attempt asks the coordinator, and the attempt is claimable here (in this object's
 * own memory queue) only once the coordinator has granted it a slot, in its answer or later. What
 * the engine does with a claimed attempt is unchanged. `/purge-queue` and `/health` are the
 * coordinator's routes: the Worker never sends them here.
 * @module
 */
import { queueFull } from '../../errors.ts'
import type { HealthReport } from '../../types.ts'
import type { MemoryDispatcher } from '../../store/memory/memory-dispatcher.ts'
import type { MemoryJobs } from '../../store/memory/memory-jobs.ts'
import type { Dispatcher, QueueEntry } from '../../store/store.ts'
import type { Lease } from '../../store/job-state.ts'
import type { CoordinatorCall, EnqueueAnswer } from './coordination.ts'

/** Calls the coordinator; rejects when it cannot be reached. */
export type CallCoordinator = <T>(call: CoordinatorCall) => Promise<T>

/** A dispatcher whose queue is the coordinator's. */
export class CoordinatedDispatcher implements Dispatcher {
  readonly leaseMs = Infinity
  readonly #local: MemoryDispatcher
  readonly #jobs: MemoryJobs
  readonly #coordinator: CallCoordinator
  /** Attempts granted a slot and put in the local queue, so that a grant heard twice runs once. */
  readonly #granted = new Set<string>()
  /** The lane each attempt queued in, for its local entry. */
  readonly #lowPriority = new Map<string, boolean>()

  constructor(local: MemoryDispatcher, jobs: MemoryJobs, coordinator: CallCoordinator) {
    this.#local = local
    this.#jobs = jobs
    this.#coordinator = coordinator
  }

  /** Queues with the coordinator (whose `maxQueue` applies): runnable here at once, or once granted. */
  async enqueue(entry: QueueEntry): Promise<void> {
    const key = `${entry.id}:${entry.attempt}`
    this.#lowPriority.set(key, entry.lowPriority)
    const answer = await this.#coordinator<EnqueueAnswer>({ kind: 'enqueue', id: entry.id, attempt: entry.attempt, lowPriority: entry.lowPriority })
    if ('full' in answer) throw queueFull(answer.full)
    if (answer.granted) this.grant(entry.id, entry.attempt)
  }

  /**
   * The coordinator gave the attempt a slot: it is claimable here. Answers false when the job no
   * longer holds that attempt queued (it ended meanwhile; its end frees the slot).
   */
  grant(id: string, attempt: number): boolean {
    const current = this.#jobs.get(id)?.attempt
    if (current?.number !== attempt || current.status !== 'IN_QUEUE') return false
    const key = `${id}:${attempt}`
    if (this.#granted.has(key)) return true
    this.#granted.add(key)
    this.#local.enqueue({ id, attempt, lowPriority: this.#lowPriority.get(key) ?? false }, Infinity)
    return true
  }

  claim(max: number): Lease[] {
    return this.#local.claim(max)
  }

  renew(leases: readonly Lease[]): Lease[] {
    return this.#local.renew(leases)
  }

  release(): void {
    // The slot is the coordinator's, freed when the attempt's end reaches it.
  }

  deliverCancel(id: string, attempt: number): void {
    this.#local.deliverCancel(id, attempt)
  }

  onCancel(listener: (id: string, attempt: number) => void): () => void {
    return this.#local.onCancel(listener)
  }

  onWork(listener: () => void): () => void {
    return this.#local.onWork(listener)
  }

  purge(): QueueEntry[] {
    // The deployment's queue is the coordinator's (the Worker sends /purge-queue there).
    return []
  }

  health(): Promise<HealthReport> {
    return this.#coordinator<HealthReport>({ kind: 'health' })
  }
}

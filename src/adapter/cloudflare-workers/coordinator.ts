/**
 * The coordinator of a deployment on Cloudflare: its queue (FIFO, `lowPriority` after), its slots
 * (the worker's `concurrencyModifier`), `maxQueue`, the `/health` counts and `/purge-queue`. It
 * never sees an output or a reader: a job's object asks it for a slot when the job is queued, and
 * tells it when the job has ended; the coordinator grants slots, in order, as they free up.
 *
 * Everything it decides is written to its storage before it answers (the platform holds an answer
 * until the writes before it are on disk), and what it must tell a job's object (a grant, a purge)
 * is an outbox entry, deleted once the object has taken it: a crash between two writes loses no
 * slot and starts no job twice, as every call either way is idempotent.
 * @module
 */
import type { HealthReport, JobStatus } from '../../types.ts'
import type { ConcurrencyLimit } from '../../engine/concurrency-limit.ts'
import type { CoordinatorCall, EnqueueAnswer, JobObjectCall } from './coordination.ts'
import type { DurableStorageLike } from './durable-rows.ts'

/** A queued attempt, as stored. */
interface Queued {
  id: string
  attempt: number
}

/** The deployment's counts that outlive the jobs. */
interface Counts {
  completed: number
  failed: number
  retried: number
}

const attemptKey = (id: string, attempt: number) => `${id}:${attempt}`
// Zero-padded, so that listing the keys returns the queue in order: the lane, then the order.
const queueKey = (lowPriority: boolean, order: number) => `q:${lowPriority ? 1 : 0}:${String(order).padStart(16, '0')}`

/** Delivers a call to the object of job `id`; rejects when it could not be delivered. */
export type DeliverToJob = (id: string, call: JobObjectCall) => Promise<void>

/** The coordinator's state and decisions, over its storage. */
export class Coordinator {
  readonly #storage: DurableStorageLike
  readonly #limit: ConcurrencyLimit
  readonly #maxQueue: number
  readonly #deliver: DeliverToJob
  /**
   * Queued attempts by queue key, one map per lane (normal, then low priority), each in the order
   * the attempts were queued (the order their keys sort in: storage lists them so on a restart).
   */
  readonly #lanes = [new Map<string, Queued>(), new Map<string, Queued>()] as const
  readonly #queueKeyOf = new Map<string, string>()
  readonly #running = new Set<string>()
  readonly #outbox = new Map<string, JobObjectCall>()
  #counts: Counts = { completed: 0, failed: 0, retried: 0 }
  #order = 0
  /** Calls taken, by kind, since the object started: what a job and a reader cost it. */
  readonly calls: Record<CoordinatorCall['kind'] | 'purge', number> = { enqueue: 0, ended: 0, health: 0, purge: 0 }

  constructor(storage: DurableStorageLike, limit: ConcurrencyLimit, maxQueue: number, deliver: DeliverToJob) {
    this.#storage = storage
    this.#limit = limit
    this.#maxQueue = maxQueue
    this.#deliver = deliver
  }

  /** Reads the stored state back; resolves once it is held. */
  async load(): Promise<void> {
    for (const [key, queued] of await this.#storage.list<Queued>({ prefix: 'q:' })) {
      this.#laneOf(key).set(key, queued)
      this.#queueKeyOf.set(attemptKey(queued.id, queued.attempt), key)
    }
    for (const key of (await this.#storage.list({ prefix: 'r:' })).keys()) this.#running.add(key.slice(2))
    for (const [key, call] of await this.#storage.list<JobObjectCall>({ prefix: 'o:' })) this.#outbox.set(key.slice(2), call)
    const state = (await this.#storage.list<Counts | number>({ prefix: 's:' }))
    this.#counts = (state.get('s:counts') as Counts | undefined) ?? this.#counts
    this.#order = (state.get('s:order') as number | undefined) ?? 0
  }

  /** Answers a job object's call. */
  take(call: CoordinatorCall): EnqueueAnswer | HealthReport | { ok: true } {
    this.calls[call.kind]++
    if (call.kind === 'enqueue') return this.#enqueue(call.id, call.attempt, call.lowPriority)
    if (call.kind === 'ended') return this.#ended(call.id, call.attempt, call.status)
    return this.health()
  }

  /** The deployment's counts. */
  health(): HealthReport {
    const slots = this.#limit.current
    const running = this.#running.size
    return {
      jobs: { ...this.#counts, inProgress: running, inQueue: this.#queued },
      workers: { idle: Number.isFinite(slots) ? Math.max(0, slots - running) : 1, running },
    }
  }

  /** `/purge-queue`: every queued attempt leaves the queue, its object told to end it. Answers how many. */
  purge(): number {
    this.calls.purge++
    const taken = [...this.#lanes[0].values(), ...this.#lanes[1].values()]
    for (const { id, attempt } of taken) {
      this.#dequeue(id, attempt)
      this.#send({ kind: 'purged', id, attempt })
    }
    return taken.length
  }

  /** True while something is left to tell job objects (the alarm tries again). */
  get undelivered(): boolean {
    return this.#outbox.size > 0
  }

  /** Delivers every outbox entry; each one taken is deleted. Resolves when all were tried. */
  async deliverAll(): Promise<void> {
    await Promise.all([...this.#outbox].map(([key, call]) => this.#deliverOne(key, call)))
  }

  #enqueue(id: string, attempt: number, lowPriority: boolean): EnqueueAnswer {
    const key = attemptKey(id, attempt)
    // Asked again (the object restarted, or did not hear the answer): the same answer.
    if (this.#running.has(key)) return { granted: true }
    if (this.#queueKeyOf.has(key)) return { granted: false }
    if (attempt > 1) this.#count('retried')
    if (this.#queued === 0 && this.#running.size < this.#limit.now()) {
      this.#run(key)
      return { granted: true }
    }
    if (this.#queued >= this.#maxQueue) return { full: this.#queued }
    const stored = queueKey(lowPriority, this.#order++)
    this.#laneOf(stored).set(stored, { id, attempt })
    this.#queueKeyOf.set(key, stored)
    void this.#storage.put({ [stored]: { id, attempt }, 's:order': this.#order })
    return { granted: false }
  }

  #ended(id: string, attempt: number, status: JobStatus): { ok: true } {
    const key = attemptKey(id, attempt)
    const held = this.#running.delete(key) || this.#dequeue(id, attempt)
    if (held) {
      if (status === 'COMPLETED') this.#count('completed')
      else if (status === 'FAILED' || status === 'TIMED_OUT') this.#count('failed')
      void this.#storage.delete([`r:${key}`])
    }
    this.#grantFreeSlots()
    return { ok: true }
  }

  /** Gives free slots to the queue's first attempts, in order. */
  #grantFreeSlots(): void {
    let free = this.#limit.now() - this.#running.size
    // Each lane in the order it was queued; an entry taken while its map is walked is fine to drop.
    for (const lane of this.#lanes) {
      for (const { id, attempt } of lane.values()) {
        if (free-- <= 0) return
        this.#dequeue(id, attempt)
        this.#run(attemptKey(id, attempt))
        this.#send({ kind: 'grant', id, attempt })
      }
    }
  }

  /** How many attempts wait, in both lanes. */
  get #queued(): number {
    return this.#lanes[0].size + this.#lanes[1].size
  }

  /** The lane of a queue key: `q:0:…` normal, `q:1:…` low priority. */
  #laneOf(stored: string): Map<string, Queued> {
    return this.#lanes[stored[2] === '1' ? 1 : 0]
  }


  #run(key: string): void {
    this.#running.add(key)
    void this.#storage.put({ [`r:${key}`]: 1 })
  }

  /** Takes the attempt out of the queue; false when it was not there. */
  #dequeue(id: string, attempt: number): boolean {
    const key = attemptKey(id, attempt)
    const stored = this.#queueKeyOf.get(key)
    if (stored === undefined) return false
    this.#queueKeyOf.delete(key)
    this.#laneOf(stored).delete(stored)
    void this.#storage.delete([stored])
    return true
  }

  #count(what: keyof Counts): void {
    this.#counts = { ...this.#counts, [what]: this.#counts[what] + 1 }
    void this.#storage.put({ 's:counts': this.#counts })
  }

  /** Writes the call to the outbox, then delivers it. */
  #send(call: JobObjectCall): void {
    const key = attemptKey(call.id, call.attempt)
    this.#outbox.set(key, call)
    void this.#storage.put({ [`o:${key}`]: call })
    void this.#deliverOne(key, call)
  }

  async #deliverOne(key: string, call: JobObjectCall): Promise<void> {
    try {
      await this.#deliver(call.id, call)
    } catch {
      // Kept: the alarm delivers it again.
      return
    }
    if (this.#outbox.get(key) !== call) return
    this.#outbox.delete(key)
    void this.#storage.delete([`o:${key}`])
  }
}

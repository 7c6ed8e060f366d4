/**
 * The dispatcher part of the Redis store: the deployment's queue, claimed by every member for its
 * own free slots under leases Redis times, cancels sent to whichever member runs a job, `/health`
 * for the whole fleet, and the sweep that ends what gone members left.
 * @module
 */
import { queueFull, storeUnavailable } from '../../errors.ts'
import type { HealthReport } from '../../types.ts'
import type { Dispatcher, DueAttempt, QueueEntry, WorkerCounts } from '../store.ts'
import type { Lease } from '../job-state.ts'
import type { RedisContext } from './redis-jobs.ts'
import type { RedisReply } from './redis-client.ts'
import { Listeners } from './listeners.ts'
import { CLAIM, ENQUEUE, HEALTH, PURGE, RELEASE, RENEW, SWEEP } from './scripts-fleet.ts'

/** How many due attempts one sweep answers at most; the next sweep takes the rest. */
const SWEEP_BATCH = 100

/** The queue and leases of a deployment, in Redis. */
export class RedisDispatcher implements Dispatcher {
  readonly leaseMs: number
  /** This member's name among the fleet's, for `/health`. */
  readonly member: string
  readonly #context: RedisContext
  readonly #cancelListeners = new Listeners<[id: string, attempt: number]>()
  readonly #workListeners = new Listeners()

  constructor(context: RedisContext, member: string) {
    this.#context = context
    this.leaseMs = context.leaseMs
    this.member = member
  }

  async enqueue(entry: QueueEntry, limit: number): Promise<void> {
    const { keys, prefix } = this.#context
    const args = [keys.counts, keys.queue, keys.expiries, keys.counter, keys.bell, prefix, entry.id, entry.attempt, entry.lowPriority ? 1 : 0]
    const reply = (await this.#context.client.run(ENQUEUE, [...args, Number.isFinite(limit) ? limit : -1])) as RedisReply[]
    if (reply[0] === 'full') throw queueFull(Number(reply[1]))
    // A new job that a sweep removed before it was queued (this member was too slow, past a lease):
    // the submission failed. A retry that was ended meanwhile (cancelled) needs nothing more.
    if (reply[0] === 'gone' && entry.attempt === 1) throw storeUnavailable(`job ${entry.id} could not be queued in time; submit it again`)
    // This member looks for work at once, a round trip before the others hear the ring: a member
    // with a free slot most often runs what it was given.
    if (reply[0] === 'ok') this.workMayBeQueued()
  }

  async claim(max: number): Promise<Lease[]> {
    const { keys, prefix, leaseMs } = this.#context
    const reply = (await this.#context.client.run(CLAIM, [keys.queue, keys.counter, keys.leases, prefix, max, leaseMs])) as string[]
    const leases: Lease[] = []
    for (let index = 0; index < reply.length; index += 3) leases.push({ id: reply[index]!, attempt: Number(reply[index + 1]), token: reply[index + 2]! })
    return leases
  }

  async renew(leases: readonly Lease[]): Promise<Lease[]> {
    if (leases.length === 0) return []
    const { keys, prefix, leaseMs, deadlineGraceMs } = this.#context
    const members = leases.map((lease) => `${lease.id}:${lease.attempt}:${lease.token}`)
    const lost = (await this.#context.client.run(RENEW, [keys.leases, prefix, leaseMs, deadlineGraceMs, ...members])) as number[]
    return lost.map((index) => leases[index]!)
  }

  async release(lease: Lease): Promise<void> {
    const { keys, prefix } = this.#context
    await this.#context.client.run(RELEASE, [keys.leases, keys.queue, keys.bell, prefix, lease.id, lease.attempt, lease.token])
  }

  async deliverCancel(id: string, attempt: number): Promise<void> {
    await this.#context.client.command('PUBLISH', [this.#context.keys.bell, `c:${id}:${attempt}`])
  }

  onCancel(listener: (id: string, attempt: number) => void): () => void {
    return this.#cancelListeners.add(listener)
  }

  onWork(listener: () => void): () => void {
    return this.#workListeners.add(listener)
  }

  /** The doorbell rang (or a look is due): tells whoever listens for work. */
  workMayBeQueued(): void {
    this.#workListeners.tell()
  }

  /** The doorbell rang with a cancel. */
  cancelled(id: string, attempt: number): void {
    this.#cancelListeners.tell(id, attempt)
  }

  async purge(): Promise<QueueEntry[]> {
    const { keys, prefix } = this.#context
    const reply = (await this.#context.client.run(PURGE, [keys.queue, keys.expiries, prefix])) as Array<string | number>
    const entries: QueueEntry[] = []
    for (let index = 0; index < reply.length; index += 3) {
      entries.push({ id: String(reply[index]), attempt: Number(reply[index + 1]), lowPriority: reply[index + 2] === 1 })
    }
    return entries
  }

  async health(local: WorkerCounts): Promise<HealthReport> {
    const { keys, prefix, leaseMs } = this.#context
    // A member is counted while it was heard of within a lease: three sweeps missed.
    const reply = (await this.#context.client.run(HEALTH, [keys.counts, keys.members, prefix, this.member, local.idle, local.running, leaseMs])) as number[]
    const [completed, failed, inProgress, inQueue, retried, idle, running] = reply as [number, number, number, number, number, number, number]
    return { jobs: { completed, failed, inProgress, inQueue, retried }, workers: { idle, running } }
  }

  async sweep(local: WorkerCounts): Promise<DueAttempt[]> {
    await this.health(local)
    const { keys, prefix, leaseMs } = this.#context
    // Held back from the next sweeps while the member that took it ends it.
    const sweepKeys = [keys.leases, keys.expiries, keys.queue, keys.bell, keys.counts, keys.counter]
    const reply = (await this.#context.client.run(SWEEP, [...sweepKeys, prefix, SWEEP_BATCH, leaseMs])) as string[]
    const due: DueAttempt[] = []
    for (let index = 0; index < reply.length; index += 3) {
      due.push({ id: reply[index]!, attempt: Number(reply[index + 1]), reason: reply[index + 2] as DueAttempt['reason'] })
    }
    return due
  }
}

/**
 * A job's side of `EdgepodJobs`: one object per job holds its record and log in its storage, runs
 * its handler and serves its readers (`/stream`, `/status`, `/cancel`, `/retry`), with the worker's
 * own app over a store of its own (durable-store.ts) whose dispatcher is the coordinator's queue.
 *
 * What it must tell the coordinator (the attempt ended: its slot is free) is written to its storage
 * with the end and deleted once the coordinator has taken it; a restarted object tells it again,
 * and so does the alarm, until it is taken. Alarms also keep the object alive while its job is
 * queued or running, and wake it at the job's next deadline (its execution timeout, its ttl).
 * @module
 */
import type { WorkerConfig } from '../../config.ts'
import { resolveConfig } from '../../config.ts'
import { discardUnread } from '../../http/request-body.ts'
import { workerOf } from '../../serverless.ts'
import type { Worker } from '../../serverless.ts'
import type { JobState } from '../../store/job-state.ts'
import { hasEnded } from '../../store/job-state.ts'
import type { CoordinatorCall, JobObjectCall, ObjectNamespace } from './coordination.ts'
import { callObject, COORDINATOR_NAME, INTERNAL_PATH } from './coordination.ts'
import { CoordinatedDispatcher } from './coordinated-dispatcher.ts'
import type { DurableObjectStateLike } from './durable-object.ts'
import { DurableStore } from './durable-store.ts'

/**
 * How often the object wakes itself while its job is queued or running, ms: an alarm is activity,
 * and an object with none is evicted after about a minute, taking its running handler with it.
 */
const KEEP_ALIVE_MS = 10_000
/** How soon the alarm tries again to tell the coordinator what it has not taken, ms. */
const REDELIVERY_MS = 1_000

/** An attempt's end the coordinator has not taken yet, as stored. */
interface EndedCall {
  id: string
  attempt: number
  status: JobState['attempt']['status']
}

const endedKey = (attempt: number) => `out:ended:${attempt}`
const endOf = (job: JobState): EndedCall => ({ id: job.id, attempt: job.attempt.number, status: job.attempt.status })

/** The object of one job. */
export class JobObject {
  readonly #state: DurableObjectStateLike
  readonly #env: unknown
  readonly #jobId: string
  readonly #namespace: ObjectNamespace
  readonly #store: DurableStore
  readonly #dispatcher: CoordinatedDispatcher
  readonly #worker: Worker
  readonly #maxBodyBytes: number
  /** Ends not yet taken by the coordinator, by attempt. */
  readonly #unsent = new Map<number, EndedCall>()

  constructor(state: DurableObjectStateLike, env: unknown, config: WorkerConfig, namespace: ObjectNamespace, jobId: string) {
    this.#state = state
    this.#env = env
    this.#jobId = jobId
    this.#namespace = namespace
    let dispatcher: CoordinatedDispatcher | undefined
    this.#store = new DurableStore(state.storage, {
      dispatcher: (memory, local) => (dispatcher = new CoordinatedDispatcher(local, memory, (call) => this.#call(call))),
      onEnded: (job) => this.#tell(endOf(job)),
      newJobId: () => jobId,
    })
    this.#dispatcher = dispatcher!
    // One job, one slot: the deployment's slots are the coordinator's.
    this.#worker = workerOf({ ...config, store: this.#store, concurrencyModifier: 1 })
    const { app } = resolveConfig(config)
    this.#maxBodyBytes = Math.max(app.maxBodyBytes, app.maxSyncBodyBytes)
  }

  /** Reads the job back after a restart (ending it `restarted` if it ran) and tells the coordinator what it missed. */
  async start(): Promise<void> {
    for (const [key, call] of await this.#state.storage.list<EndedCall>({ prefix: 'out:ended:' })) this.#unsent.set(Number(key.slice(10)), call)
    const restored = await this.#store.load()
    await this.#worker.engine.restore(restored, this.#env)
    // An end written without its note to the coordinator (a crash between them) is told again:
    // the coordinator takes an end once, however often it hears it.
    for (const job of restored) {
      const current = (await this.#store.jobs.get(job.id)) ?? job
      if (hasEnded(current.attempt) && !this.#unsent.has(current.attempt.number)) this.#tell(endOf(current))
    }
    await this.#deliver()
  }

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url)
    if (url.pathname.startsWith(INTERNAL_PATH)) return this.#internal((await request.json()) as JobObjectCall)
    const response = await this.#worker.fetch(request, this.#env, { waitUntil: (promise) => this.#state.waitUntil?.(promise) })
    await discardUnread(request, this.#maxBodyBytes)
    // What the answer tells (a job's id, its status) is written before it goes: the platform holds
    // the answer until the write is on disk, so a client never learns of a job a crash forgets.
    await this.#store.flush()
    await this.#keepAlive()
    return response
  }

  async alarm(): Promise<void> {
    await this.#deliver()
    await this.#keepAlive()
  }

  /** A call of the coordinator's: a slot granted, or the attempt purged from the queue. */
  async #internal(call: JobObjectCall): Promise<Response> {
    if (call.kind === 'grant') {
      const taken = this.#dispatcher.grant(call.id, call.attempt)
      // Not wanted (it ended meanwhile): its end, told or to be told, frees the slot.
      if (!taken) this.#endedAgain(call.attempt)
    } else {
      const job = this.#store.jobs.get(call.id)
      if (job?.attempt.number === call.attempt && job.attempt.status === 'IN_QUEUE') {
        await this.#worker.engine.cancel(call.id, 'removed from the queue by /purge-queue')
      } else this.#endedAgain(call.attempt)
    }
    await this.#keepAlive()
    return Response.json({ ok: true })
  }

  /** An attempt ended: the coordinator is told, from storage until it has taken it. */
  #tell(call: EndedCall): void {
    this.#unsent.set(call.attempt, call)
    void this.#state.storage.put({ [endedKey(call.attempt)]: call })
    void this.#deliver()
  }

  /** The coordinator holds a slot or place for an attempt that has ended: tell it again. */
  #endedAgain(attempt: number): void {
    const job = this.#store.jobs.get(this.#jobId)
    if (job?.attempt.number === attempt) {
      if (hasEnded(job.attempt)) this.#tell(endOf(job))
      return
    }
    // Gone (its retention ran out) or retried since: that attempt holds nothing any more.
    this.#tell({ id: this.#jobId, attempt, status: 'CANCELLED' })
  }

  /** Tells the coordinator every end it has not taken; those it took are deleted. */
  async #deliver(): Promise<void> {
    await Promise.all(
      [...this.#unsent].map(async ([attempt, call]) => {
        try {
          await this.#call({ kind: 'ended', ...call })
        } catch {
          return
        }
        if (this.#unsent.get(attempt) !== call) return
        this.#unsent.delete(attempt)
        await this.#state.storage.delete([endedKey(attempt)])
      })
    )
  }

  #call<T>(call: CoordinatorCall): Promise<T> {
    return callObject<T>(this.#namespace, COORDINATOR_NAME, call.kind, call)
  }

  /**
   * Sets the alarm: soon while the job is queued or running or an end is untold, and never later
   * than the job's next deadline, so that it is kept even in an object evicted since.
   */
  async #keepAlive(): Promise<void> {
    const job = this.#store.jobs.get(this.#jobId)
    const busy = (job && !hasEnded(job.attempt)) || this.#unsent.size > 0
    const soon = this.#unsent.size > 0 ? Date.now() + REDELIVERY_MS : busy ? Date.now() + KEEP_ALIVE_MS : undefined
    const deadline = this.#worker.engine.nextDeadline()
    let wanted = soon === undefined ? deadline : deadline === undefined ? soon : Math.min(soon, deadline)
    if (wanted === undefined) return
    // Never in the past: an alarm due already would fire again at once, in a loop.
    wanted = Math.max(wanted, Date.now() + 1_000)
    const current = await this.#state.storage.getAlarm()
    if (current === null || current > wanted) await this.#state.storage.setAlarm(wanted)
  }
}

/**
 * `EdgepodJobs`, the Durable Object that runs a deployment's jobs: one object holds the engine, so
 * every isolate sees the same jobs, one concurrency limit and one FIFO queue, and handlers run in
 * the object rather than in a request's `waitUntil`. Its store writes jobs and logs to the object's
 * storage, so a restarted object still answers `/status` and replays streams.
 * @module
 */
import { resolveConfig } from '../../config.ts'
import { discardUnread } from '../../http/request-body.ts'
import { workerOf } from '../../serverless.ts'
import type { Worker } from '../../serverless.ts'
import { registeredDurableWorker } from './durable-registry.ts'
import type { DurableStorageLike } from './durable-rows.ts'
import { DurableStore } from './durable-store.ts'

/** The part of `DurableObjectState` edgepod uses. */
export interface DurableObjectStateLike {
  readonly storage: DurableStorageLike
  blockConcurrencyWhile<T>(callback: () => Promise<T>): Promise<T>
  waitUntil?(promise: Promise<unknown>): void
}

/**
 * How often the object wakes itself while jobs are queued or running, ms: an alarm is activity,
 * and an object with none is evicted after about a minute, taking its running handlers with it.
 */
const KEEP_ALIVE = 10_000

/** edgepod's Durable Object. Export it from your worker module and bind it in wrangler.toml. */
export class EdgepodJobs {
  readonly #state: DurableObjectStateLike
  readonly #env: unknown
  readonly #worker: Worker
  readonly #maxBodyBytes: number

  constructor(state: DurableObjectStateLike, env: unknown) {
    this.#state = state
    this.#env = env
    const store = new DurableStore(state.storage)
    const config = registeredDurableWorker()
    this.#worker = workerOf({ ...config, store })
    this.#maxBodyBytes = resolveConfig(config).app.maxBodyBytes
    void state.blockConcurrencyWhile(async () => {
      await this.#worker.engine.restore(await store.load(), env)
      await this.#keepAlive()
    })
  }

  /** Every route of the job API, served by the object's own engine. */
  async fetch(request: Request): Promise<Response> {
    const response = await this.#worker.fetch(request, this.#env, {
      waitUntil: (promise) => this.#state.waitUntil?.(promise),
    })
    await discardUnread(request, this.#maxBodyBytes)
    await this.#keepAlive()
    return response
  }

  /** The keep-alive alarm: wake again while there is work. */
  async alarm(): Promise<void> {
    await this.#keepAlive()
  }

  /**
   * Sets the alarm: soon while jobs are queued or running (an alarm is activity), and never later
   * than the engine's next deadline (a ttl, an execution timeout), so that those are enforced even
   * in an object evicted since.
   */
  async #keepAlive(): Promise<void> {
    const engine = this.#worker.engine
    const { inProgress, inQueue } = (await engine.health()).jobs
    const busy = inProgress + inQueue > 0 ? Date.now() + KEEP_ALIVE : undefined
    const deadline = engine.nextDeadline()
    let wanted = busy === undefined ? deadline : deadline === undefined ? busy : Math.min(busy, deadline)
    if (wanted === undefined) return
    // Never in the past: an alarm due already would fire again at once, in a loop.
    wanted = Math.max(wanted, Date.now() + 1_000)
    const current = await this.#state.storage.getAlarm()
    if (current === null || current > wanted) await this.#state.storage.setAlarm(wanted)
  }
}

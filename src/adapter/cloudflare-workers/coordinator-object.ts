/**
 * The coordinator's side of `EdgepodJobs`: the deployment's queue and slots (coordinator.ts) behind
 * the calls of job objects, and the routes that are the deployment's (`/health`, `/purge-queue`,
 * `/openapi.json`, and every answer about no route), served by the worker's own app over a store
 * with no jobs, whose dispatcher is the coordinator.
 * @module
 */
import type { WorkerConfig } from '../../config.ts'
import { resolveConfig } from '../../config.ts'
import { ConcurrencyLimit } from '../../engine/concurrency-limit.ts'
import { MemoryJobs } from '../../store/memory/memory-jobs.ts'
import type { Dispatcher, Store } from '../../store/store.ts'
import { workerOf } from '../../serverless.ts'
import type { Worker } from '../../serverless.ts'
import type { CoordinatorCall, ObjectNamespace } from './coordination.ts'
import { callObject, INTERNAL_PATH, jobObjectName } from './coordination.ts'
import { Coordinator } from './coordinator.ts'
import type { DurableObjectStateLike } from './durable-object.ts'

/** How soon the alarm tries again to tell job objects what they have not taken, ms. */
const REDELIVERY_MS = 1_000

/** The deployment's coordinator, in its Durable Object. */
export class CoordinatorObject {
  readonly #state: DurableObjectStateLike
  readonly #env: unknown
  readonly #coordinator: Coordinator
  readonly #worker: Worker

  constructor(state: DurableObjectStateLike, env: unknown, config: WorkerConfig, namespace: ObjectNamespace) {
    this.#state = state
    this.#env = env
    const { engine } = resolveConfig(config)
    this.#coordinator = new Coordinator(state.storage, new ConcurrencyLimit(engine.concurrency), engine.maxQueue, async (id, call) => {
      await callObject(namespace, jobObjectName(id), call.kind, call)
    })
    this.#worker = workerOf({ ...config, store: coordinatorStore(this.#coordinator) })
  }

  /** Reads the coordinator's state back and delivers what it had not delivered. */
  async start(): Promise<void> {
    await this.#coordinator.load()
    await this.#redeliver()
  }

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url)
    if (url.pathname.startsWith(INTERNAL_PATH)) {
      const what = url.pathname.slice(INTERNAL_PATH.length)
      if (what === 'calls') return Response.json(this.#coordinator.calls)
      const answer = this.#coordinator.take((await request.json()) as CoordinatorCall)
      await this.#redeliverLater()
      return Response.json(answer)
    }
    const response = await this.#worker.fetch(request, this.#env, { waitUntil: (promise) => this.#state.waitUntil?.(promise) })
    await this.#redeliverLater()
    return response
  }

  async alarm(): Promise<void> {
    await this.#redeliver()
  }

  async #redeliver(): Promise<void> {
    await this.#coordinator.deliverAll()
    await this.#redeliverLater()
  }

  /** Sets the alarm while something is left to deliver. */
  async #redeliverLater(): Promise<void> {
    if (!this.#coordinator.undelivered) return
    const current = await this.#state.storage.getAlarm()
    if (current === null) await this.#state.storage.setAlarm(Date.now() + REDELIVERY_MS)
  }
}

/** A store with no jobs, whose dispatcher answers `/health` and `/purge-queue` from the coordinator. */
function coordinatorStore(coordinator: Coordinator): Store {
  const notHere = () => {
    throw new Error('edgepod: the coordinator holds no jobs; the Worker sends job routes to their objects')
  }
  const dispatcher: Dispatcher = {
    leaseMs: Infinity,
    enqueue: notHere,
    claim: () => [],
    renew: () => [],
    release: () => {},
    deliverCancel: () => {},
    onCancel: () => () => {},
    onWork: () => () => {},
    purge: () => [],
    purgeElsewhere: () => coordinator.purge(),
    health: () => coordinator.health(),
  }
  return { jobs: new MemoryJobs(), dispatcher }
}

/**
 * `EdgepodJobs`, the Durable Object class of a deployment on Cloudflare. One class, two roles, told
 * apart by the object's name (coordination.ts): the object of one job (job-object.ts), which runs
 * its handler and serves its readers, or the deployment's coordinator (coordinator-object.ts),
 * which holds the queue and the slots. An object learns its name from the first request it gets,
 * and keeps it in its storage, so that a restarted object (woken by its alarm) knows it again.
 * @module
 */
import { registeredDurableWorker } from './durable-registry.ts'
import type { DurableStorageLike } from './durable-rows.ts'
import type { ObjectNamespace } from './coordination.ts'
import { COORDINATOR_NAME, INTERNAL_PATH, OBJECT_NAME_HEADER } from './coordination.ts'
import { CoordinatorObject } from './coordinator-object.ts'
import { JobObject } from './job-object.ts'
import { sqliteStorage } from './sqlite-storage.ts'

/** The part of `DurableObjectState` edgepod uses. */
export interface DurableObjectStateLike {
  readonly storage: DurableStorageLike
  blockConcurrencyWhile<T>(callback: () => Promise<T>): Promise<T>
  waitUntil?(promise: Promise<unknown>): void
}

/** What an object is, once it knows its name. */
interface Role {
  fetch(request: Request): Promise<Response>
  alarm(): Promise<void>
}

const NAME_KEY = 'meta:name'
const JOB_NAME = /^edgepod:job:(.+)$/

/** edgepod's Durable Object. Export it from your worker module and bind it in wrangler.toml. */
export class EdgepodJobs {
  readonly #state: DurableObjectStateLike
  readonly #env: unknown
  /** Settles once a restarted object knows its role again (workerd holds requests until then too). */
  readonly #ready: Promise<void>
  #role: Role | undefined

  constructor(state: DurableObjectStateLike, env: unknown) {
    // SQLite-backed objects write at once, synchronously (sqlite-storage.ts).
    this.#state = {
      storage: sqliteStorage(state.storage),
      blockConcurrencyWhile: (callback) => state.blockConcurrencyWhile(callback),
      waitUntil: (promise) => state.waitUntil?.(promise),
    }
    this.#env = env
    this.#ready = state.blockConcurrencyWhile(async () => {
      const name = await this.#state.storage.get<string>(NAME_KEY)
      if (name !== undefined) await this.#become(name)
    })
  }

  /** A request of the Worker's, or another object's call. */
  async fetch(request: Request): Promise<Response> {
    await this.#ready
    if (!this.#role) {
      const name = request.headers.get(OBJECT_NAME_HEADER)
      if (name === null) return new Response('edgepod: a request to EdgepodJobs must come through its Worker', { status: 400 })
      await this.#state.blockConcurrencyWhile(async () => {
        if (this.#role) return
        await this.#state.storage.put({ [NAME_KEY]: name })
        await this.#become(name)
      })
    }
    return this.#role!.fetch(request)
  }

  /** The object's alarm: its role's. */
  async alarm(): Promise<void> {
    await this.#ready
    await this.#role?.alarm()
  }

  async #become(name: string): Promise<void> {
    const { config, binding } = registeredDurableWorker()
    const namespace = (this.#env as Record<string, ObjectNamespace | undefined> | undefined)?.[binding]
    if (!namespace) throw new Error(`edgepod: no Durable Object binding ${binding} in this object's env`)
    const job = JOB_NAME.exec(name)
    if (job) {
      const role = new JobObject(this.#state, this.#env, config, namespace, job[1]!)
      await role.start()
      this.#role = role
    } else if (name === COORDINATOR_NAME) {
      const role = new CoordinatorObject(this.#state, this.#env, config, namespace)
      await role.start()
      this.#role = role
    } else throw new Error(`edgepod: EdgepodJobs got a name it does not know: ${name} (paths under ${INTERNAL_PATH} are edgepod's own)`)
  }
}

/**
 * Durable Objects in a test's memory: storage in a map (counting rows written, as Cloudflare bills
 * them), and a namespace of `EdgepodJobs` objects made by name on first use, as workerd makes them,
 * which a test can restart (a new instance on the same storage) and whose calls between objects
 * it can fail, to prove what the outboxes replay.
 * @module
 */
import type { DurableStorageLike } from '../../src/adapter/cloudflare-workers/durable-rows.ts'
import type { DurableObjectStateLike } from '../../src/adapter/cloudflare-workers/durable-object.ts'
import { EdgepodJobs } from '../../src/adapter/cloudflare-workers/durable-object.ts'
import type { ObjectNamespace, ObjectStub } from '../../src/adapter/cloudflare-workers/coordination.ts'

/** Durable Object storage in memory, counting writes as Cloudflare bills them (rows written). */
export class MemoryStorage implements DurableStorageLike {
  readonly data = new Map<string, unknown>()
  puts = 0
  rowsWritten = 0
  alarm: number | null = null
  /** Refuse the next put (a storage fault). */
  failNext = false
  async get<T>(key: string): Promise<T | undefined> {
    return structuredClone(this.data.get(key)) as T | undefined
  }
  async put(entries: Record<string, unknown>): Promise<void> {
    this.puts++
    if (this.failNext) {
      this.failNext = false
      throw new Error('storage refused the write')
    }
    for (const [key, value] of Object.entries(entries)) {
      // Cloudflare's limit for one value of a SQLite-backed object.
      if (JSON.stringify(value).length > 2_000_000) throw new Error(`value of ${key} is over 2 MB`)
      this.rowsWritten++
      // Storage keeps a structured clone, never the live object.
      this.data.set(key, structuredClone(value))
    }
  }
  async delete(keys: string[]): Promise<number> {
    let deleted = 0
    for (const key of keys) if (this.data.delete(key)) deleted++
    return deleted
  }
  async list<T>(options: { prefix: string }): Promise<Map<string, T>> {
    const found = [...this.data].filter(([key]) => key.startsWith(options.prefix)).sort(([a], [b]) => (a < b ? -1 : 1))
    return new Map(found as Array<[string, T]>)
  }
  async getAlarm(): Promise<number | null> {
    return this.alarm
  }
  async setAlarm(time: number): Promise<void> {
    this.alarm = time
  }
  async deleteAlarm(): Promise<void> {
    this.alarm = null
  }
}

/** A state over `storage`, as workerd gives an object (one call at a time is not modelled). */
export function stateOn(storage: MemoryStorage): DurableObjectStateLike {
  return { storage, blockConcurrencyWhile: (callback) => callback() }
}

/** A namespace of `EdgepodJobs` objects in memory, bound as `binding` in {@link ObjectsInMemory.env}. */
export class ObjectsInMemory implements ObjectNamespace {
  readonly env: Record<string, unknown>
  readonly storages = new Map<string, MemoryStorage>()
  readonly #objects = new Map<string, EdgepodJobs>()
  /** Requests each object was sent, by name. */
  readonly requests = new Map<string, number>()
  /** Makes the next call to an object whose name matches fail, as a network fault would. */
  failNextCallTo: RegExp | undefined

  constructor(binding = 'EDGEPOD_JOBS') {
    this.env = { [binding]: this }
  }

  idFromName(name: string): unknown {
    return name
  }

  get(id: unknown): ObjectStub {
    const name = id as string
    return {
      fetch: async (request) => {
        if (this.failNextCallTo?.test(name)) {
          this.failNextCallTo = undefined
          throw new Error(`the call to ${name} failed`)
        }
        this.requests.set(name, (this.requests.get(name) ?? 0) + 1)
        return this.object(name).fetch(request)
      },
    }
  }

  /** The object named `name`, made on first use. */
  object(name: string): EdgepodJobs {
    let object = this.#objects.get(name)
    if (!object) {
      let storage = this.storages.get(name)
      if (!storage) this.storages.set(name, (storage = new MemoryStorage()))
      this.#objects.set(name, (object = new EdgepodJobs(stateOn(storage), this.env)))
    }
    return object
  }

  /** The object restarts: its memory is lost, its storage kept; the next request makes it again. */
  restart(name: string): void {
    this.#objects.delete(name)
  }

  /** Runs the alarm of every object whose alarm is set, as the platform would once it is due. */
  async fireAlarms(): Promise<void> {
    for (const [name, storage] of this.storages) {
      if (storage.alarm === null) continue
      storage.alarm = null
      await this.object(name).alarm()
    }
  }
}

/**
 * A fleet of Node members for a test, on a real Redis: each one process
 * (test/helpers/fleet-member.ts) serving test/fixtures/fleet-worker.ts, whose `/_probe/:tag` tells
 * whether a job's handler started there and whether its `finally` ran.
 * @module
 */
import { expect, vi } from 'vitest'
import type { JobStatusObject } from '../../src/index.ts'
import { spawnServer } from '../conformance/runtimes/spawn-server.ts'
import type { SpawnedServer } from '../conformance/runtimes/spawn-server.ts'
import type { TestRedis } from './redis-server.ts'

/** What a member's probe knows of a job's handler: when it started and when its `finally` ran. */
export interface Probe {
  started?: number
  finallyRan?: number
}

/** The members a test started, on the Redis and under the prefix it gives. */
export class TestFleet {
  readonly #redis: () => TestRedis
  readonly #prefix: string
  readonly #started: SpawnedServer[] = []

  /** `redis` is read when a member starts: a test file's Redis may be started after this is made. */
  constructor(redis: () => TestRedis, prefix: string) {
    this.#redis = redis
    this.#prefix = prefix
  }

  /** Starts a member with a lease of `leaseMs` and `env` added (FLEET_CONCURRENCY). */
  async member(leaseMs: number, env: Record<string, string> = {}): Promise<SpawnedServer> {
    const server = await spawnServer(
      process.execPath,
      ['--conditions=edgepod-source', '--import', 'tsx', 'test/helpers/fleet-member.ts', 'test/fixtures/fleet-worker.ts'],
      {
        ready: /at (http:\/\/\S+)/,
        env: { EDGEPOD_REDIS_URL: this.#redis().url, EDGEPOD_REDIS_PREFIX: this.#prefix, EDGEPOD_LEASE_MS: String(leaseMs), ...env },
      }
    )
    this.#started.push(server)
    return server
  }

  /** The members started so far, in order. */
  get members(): readonly SpawnedServer[] {
    return this.#started
  }

  /** Stops every member (a stopped one is woken first). */
  async stopAll(): Promise<void> {
    await Promise.all(this.#started.splice(0).map((server) => (server.signal('SIGCONT'), server.stop())))
  }
}

/** POSTs `body` as JSON to `path` on `on`. */
export const postTo = (on: SpawnedServer, path: string, body?: unknown) =>
  fetch(`${on.url}${path}`, { method: 'POST', body: body === undefined ? undefined : JSON.stringify(body) })

/** Job `id`'s status, asked of `on`. */
export const statusOn = async (on: SpawnedServer, id: string): Promise<JobStatusObject> => (await fetch(`${on.url}/status/${id}`)).json()

/** What `on`'s probe knows of the job tagged `tag`. */
export const probeOn = async (on: SpawnedServer, tag: string): Promise<Probe> => (await fetch(`${on.url}/_probe/${tag}`)).json()

/** The number of handlers running on `on`, from its `/health`. */
export const runningOn = async (on: SpawnedServer): Promise<number> => (await (await fetch(`${on.url}/health`)).json()).workers.running

/** The member among `among` whose handler started the job tagged `tag`, once one has. */
export async function ownerOf(tag: string, among: readonly SpawnedServer[]): Promise<SpawnedServer> {
  let owner: SpawnedServer | undefined
  await vi.waitFor(
    async () => {
      for (const candidate of among) if ((await probeOn(candidate, tag)).started) owner = candidate
      expect(owner).toBeDefined()
    },
    { timeout: 10_000, interval: 20 }
  )
  return owner!
}

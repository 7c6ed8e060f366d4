/**
 * `edgepod/redis`: the Redis store, for a fleet of Node, Bun and Deno processes serving one
 * deployment. Setting `EDGEPOD_REDIS_URL` is enough (`serverless.start` opens it from the
 * environment); `store: await redisStore({ ... })` is for code that builds its own client.
 *
 * ```ts
 * import { serverless } from 'edgepod'
 * import { redisStore } from 'edgepod/redis'
 * export default serverless.start({ handler, store: await redisStore({ url: 'redis://127.0.0.1:6379' }) })
 * ```
 * @module
 */
import { envString } from '../../env.ts'
import type { RedisClient } from '../../store/redis/redis-client.ts'
import { openRedisStore, REDIS_DEFAULTS } from '../../store/redis/redis-store.ts'
import type { RedisStore } from '../../store/redis/redis-store.ts'
import type { NodeRedisClient } from './node-redis-client.ts'
import { nodeRedisClient, overNodeRedis, redactedUrl } from './node-redis-client.ts'

export type { RedisStore } from '../../store/redis/redis-store.ts'
export type { RedisClient, RedisReply, RedisScript } from '../../store/redis/redis-client.ts'
export type { NodeRedisClient } from './node-redis-client.ts'

/** Options of {@link redisStore}; without `url`, `client` or `connection`, `EDGEPOD_REDIS_URL`. */
export interface RedisStoreConfig {
  /** `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS. @default EDGEPOD_REDIS_URL */
  url?: string | undefined
  /** A node-redis client of your own (`createClient(...)` from `@redis/client` or `redis`). */
  client?: NodeRedisClient | undefined
  /** Any other Redis library, behind the store's small client interface. */
  connection?: RedisClient | undefined
  /** PEM certificates to trust for `rediss://` beyond the system's. @default the file EDGEPOD_REDIS_CA_FILE names */
  ca?: string | undefined
  /** The deployment's name: deployments with another share one Redis apart. @default EDGEPOD_REDIS_PREFIX, or 'edgepod' */
  prefix?: string | undefined
  /** How long a member's claim on a job lasts unless renewed, ms. @default EDGEPOD_LEASE_MS, or 30000 */
  leaseMs?: number | undefined
  /** How often members look for news a dropped pub/sub message did not bring, ms. @default 1000 */
  pollMs?: number | undefined
}

/** The Redis settings of the environment: undefined when `EDGEPOD_REDIS_URL` is not set. */
export function redisConfigFromEnv(env?: unknown): RedisStoreConfig | undefined {
  const url = envString(env, 'EDGEPOD_REDIS_URL')
  if (url === undefined) return undefined
  const leaseMs = envString(env, 'EDGEPOD_LEASE_MS')
  return { url, prefix: envString(env, 'EDGEPOD_REDIS_PREFIX'), leaseMs: leaseMs === undefined ? undefined : Number(leaseMs) }
}

/** Opens the Redis store; it closes its connections with `close()`. */
export async function redisStore(config: RedisStoreConfig = {}): Promise<RedisStore> {
  const leaseMs = config.leaseMs ?? REDIS_DEFAULTS.leaseMs
  if (!(Number.isFinite(leaseMs) && leaseMs >= 300)) {
    throw new TypeError(`edgepod: the Redis lease must be at least 300 ms (leaseMs, EDGEPOD_LEASE_MS), got ${String(config.leaseMs)}`)
  }
  return openRedisStore({ client: await connectionOf(config), prefix: config.prefix, leaseMs, pollMs: config.pollMs })
}

async function connectionOf(config: RedisStoreConfig): Promise<RedisClient> {
  if (config.connection) return config.connection
  if (config.client) return overNodeRedis(config.client)
  const url = config.url ?? envString(undefined, 'EDGEPOD_REDIS_URL')
  if (url === undefined) throw new TypeError('edgepod: redisStore needs a url (or EDGEPOD_REDIS_URL), a client or a connection')
  if (!/^rediss?:\/\//.test(url)) throw new TypeError(`edgepod: the Redis URL must start with redis:// or rediss://, got ${redactedUrl(url)}`)
  return nodeRedisClient({ url, ca: config.ca ?? (await caFromEnv()) })
}

/** The certificates of the file `EDGEPOD_REDIS_CA_FILE` names, if it names one. */
async function caFromEnv(): Promise<string | undefined> {
  const file = envString(undefined, 'EDGEPOD_REDIS_CA_FILE')
  if (file === undefined) return undefined
  const { readFile } = await import('node:fs/promises')
  return readFile(file, 'utf8')
}

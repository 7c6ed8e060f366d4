/**
 * What a fleet's Redis holds: the keys of jobs (each job's hash and log) under the deployment's
 * prefix, its other keys (queue, leases, counters, members), and its memory (`INFO memory`).
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { TestRedis } from '../test/helpers/redis-server.ts'

/** Redis at one moment. */
export interface RedisSnapshot {
  /** Keys of jobs: `{<prefix>}:job:<id>` and `{<prefix>}:log:<id>`. */
  jobKeys: number
  /** The deployment's other keys, by name, sorted. */
  otherKeys: string[]
  /** Keys in the database, the deployment's and any other. */
  dbsize: number
  /** `used_memory`: what Redis's allocator holds, bytes. */
  usedMemory: number
  /** `used_memory_peak`, bytes. */
  usedMemoryPeak: number
}

// Counted inside Redis, so that thousands of keys never cross the pipe of a redis-cli.
const COUNT = "return #redis.call('KEYS', ARGV[1]) + #redis.call('KEYS', ARGV[2])"
const OTHERS = "local keys = {} for _, key in ipairs(redis.call('KEYS', ARGV[1])) do if not (key:find(ARGV[2], 1, true) or key:find(ARGV[3], 1, true)) then keys[#keys + 1] = key end end return keys"

/** How many keys of jobs Redis holds under `prefix`. */
export async function jobKeysOf(redis: TestRedis, prefix: string): Promise<number> {
  return Number(await redis.cli('EVAL', COUNT, '0', `{${prefix}}:job:*`, `{${prefix}}:log:*`))
}

/** A snapshot of `redis`, for the deployment `prefix`. */
export async function redisSnapshot(redis: TestRedis, prefix: string): Promise<RedisSnapshot> {
  const others = await redis.cli('EVAL', OTHERS, '0', `{${prefix}}:*`, `{${prefix}}:job:`, `{${prefix}}:log:`)
  const memory = await redis.cli('INFO', 'memory')
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(memory)?.[1])
  return {
    jobKeys: await jobKeysOf(redis, prefix),
    otherKeys: others.split('\n').filter((key) => key !== '').sort(),
    dbsize: Number(await redis.cli('DBSIZE')),
    usedMemory: field('used_memory'),
    usedMemoryPeak: field('used_memory_peak'),
  }
}

/** Polls until Redis holds no key of a job under `prefix`, or `ms` pass; the snapshot then. */
export async function redisOnceJobsExpired(redis: TestRedis, prefix: string, ms: number): Promise<RedisSnapshot> {
  const deadline = Date.now() + ms
  while ((await jobKeysOf(redis, prefix)) > 0 && Date.now() < deadline) await sleep(500)
  return redisSnapshot(redis, prefix)
}

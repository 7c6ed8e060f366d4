/**
 * The store a worker gets when its config names none: Redis when `EDGEPOD_REDIS_URL` is set in the
 * process environment (every process started so is a member of one fleet), else a new in-memory
 * store, this process's alone. Workers never see the variable, so they never load the Redis code.
 * @module
 */
import { storeUnavailable } from '../errors.ts'
import { envString } from '../env.ts'
import { deferredStore } from './deferred-store.ts'
import { memoryStore } from './memory/memory-store.ts'
import type { Store } from './store.ts'

/** The lease length the Redis store defaults to, ms (see `edgepod/redis`). */
const DEFAULT_LEASE_MS = 30_000

/** The default store of a worker, from the environment. */
export function defaultStore(): Store {
  if (envString(undefined, 'EDGEPOD_REDIS_URL') === undefined) return memoryStore()
  const leaseMs = Number(envString(undefined, 'EDGEPOD_LEASE_MS') ?? DEFAULT_LEASE_MS)
  return deferredStore(openFromEnv(), { leaseMs, holdMs: leaseMs })
}

async function openFromEnv(): Promise<Store> {
  // Found at run time, beside this module in src/ or dist/: a bundler for Workers must not pull the
  // Redis client into a Worker, which never runs this.
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js'
  const entry = new URL(`../adapter/redis/index${extension}`, import.meta.url).href
  let redis: typeof import('../adapter/redis/index.ts')
  try {
    redis = (await import(/* @vite-ignore */ entry)) as typeof import('../adapter/redis/index.ts')
  } catch (error) {
    const message = whyNotLoaded(error)
    console.error(`edgepod: ${message}`, ...(message === NOT_LOADED ? [error] : []))
    // Every request then says so (503 store_unavailable): the process has no store to serve from.
    throw storeUnavailable(message, error)
  }
  return redis.redisStore(redis.redisConfigFromEnv())
}

/** What went wrong loading the Redis store, with what to do about it where that is known. */
function whyNotLoaded(error: unknown): string {
  const text = String(error)
  if ((error as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND' && text.includes('@redis/client')) {
    return 'EDGEPOD_REDIS_URL is set, but the Redis client is not installed: npm install @redis/client'
  }
  // Deno reads a module found at run time only with --allow-read.
  if (text.includes('--allow-read')) {
    return "EDGEPOD_REDIS_URL is set, but Deno may not read edgepod's Redis store: run deno with --allow-read, or pass store: redisStore() from 'edgepod/redis'"
  }
  return NOT_LOADED
}

const NOT_LOADED = 'EDGEPOD_REDIS_URL is set, but the Redis store could not be loaded'

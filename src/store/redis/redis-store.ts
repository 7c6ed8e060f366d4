/**
 * The Redis store: a deployment's jobs, logs, queue and webhooks in one Redis, shared by every
 * member of its fleet (Node, Bun and Deno processes alike). It holds two connections whatever its
 * load: one for commands and scripts, one for the doorbell subscription.
 * @module
 */
import type { Store } from '../store.ts'
import { listenToBell } from './bell.ts'
import { redisKeys } from './keys.ts'
import type { RedisClient } from './redis-client.ts'
import { RedisDispatcher } from './redis-dispatcher.ts'
import type { RedisContext } from './redis-jobs.ts'
import { RedisJobs } from './redis-jobs.ts'
import { RedisOutbox } from './redis-outbox.ts'

/** Options of {@link openRedisStore}. */
export interface RedisStoreOptions {
  /** The connections to use (`src/adapter/redis/` makes them from a URL). The store closes them. */
  client: RedisClient
  /**
   * The deployment's name: its keys and channel start with `{<prefix>}:`, so deployments can share
   * one Redis. @default 'edgepod'
   */
  prefix?: string | undefined
  /**
   * How long a member's claim on a job lasts unless renewed (a third of it before it runs out),
   * ms: a member that dies or stalls has its jobs ended `worker_lost` by another within about two
   * of these. @default 30000
   */
  leaseMs?: number | undefined
  /**
   * How often a member looks for news without a ring of the doorbell (which pub/sub may drop):
   * readers' jobs, queued work, webhooks to send, ms. @default 1000
   */
  pollMs?: number | undefined
}

/** A {@link Store} in Redis, with what a member needs to know of it. */
export interface RedisStore extends Store {
  readonly jobs: RedisJobs
  readonly dispatcher: RedisDispatcher
  readonly outbox: RedisOutbox
  readonly prefix: string
  close(): Promise<void>
}

/** The defaults of {@link RedisStoreOptions}. */
export const REDIS_DEFAULTS = { prefix: 'edgepod', leaseMs: 30_000, pollMs: 1_000 } as const

/**
 * How long after its execution deadline a running attempt is left to the member running it, which
 * times it out itself (with its aggregate), before a sweep of another member ends it, ms.
 */
const DEADLINE_GRACE_MS = 1_000

/** Opens the store: resolves once its doorbell is subscribed, so no ring of its own is missed. */
export async function openRedisStore(options: RedisStoreOptions): Promise<RedisStore> {
  const prefix = options.prefix ?? REDIS_DEFAULTS.prefix
  const leaseMs = options.leaseMs ?? REDIS_DEFAULTS.leaseMs
  const pollMs = options.pollMs ?? REDIS_DEFAULTS.pollMs
  const keys = redisKeys(prefix)
  const client = options.client
  const context: RedisContext = { client, keys, prefix: keys.base, leaseMs, deadlineGraceMs: DEADLINE_GRACE_MS }
  const jobs = new RedisJobs(context, pollMs)
  const dispatcher = new RedisDispatcher(context, crypto.randomUUID().slice(0, 8))
  const outbox = new RedisOutbox(context, leaseMs)
  await listenToBell(client, keys.bell, {
    job: (id, lastSeq) => jobs.watchers.rang(id, lastSeq),
    work: () => dispatcher.workMayBeQueued(),
    cancel: (id, attempt) => dispatcher.cancelled(id, attempt),
    outbox: () => outbox.entryMayBeDue(),
    reconnected: () => {
      jobs.watchers.lookAgain()
      dispatcher.workMayBeQueued()
      outbox.entryMayBeDue()
    },
  })
  // Work and webhooks whose ring was lost are found on this beat.
  const beat = setInterval(() => {
    dispatcher.workMayBeQueued()
    outbox.entryMayBeDue()
  }, pollMs)
  ;(beat as { unref?: () => void }).unref?.()
  return {
    jobs,
    dispatcher,
    outbox,
    prefix,
    async close() {
      clearInterval(beat)
      jobs.watchers.close()
      await client.close()
    },
  }
}

/**
 * Where a deployment's jobs live in Redis. Every key and channel starts with the deployment's
 * prefix, in braces: two deployments share one Redis without meeting, and on a Redis Cluster all of
 * a deployment's keys hash to one slot, so that every script may touch any of them.
 * @module
 */

/** The keys and the channel of one deployment. */
export interface RedisKeys {
  /** What every key starts with, `{<prefix>}:`: scripts make a job's keys from it. */
  readonly base: string
  /** A job's hash: its request and its current attempt. */
  job(id: string): string
  /** A job's log: a Redis Stream whose entry ids are `0-<seq>`. */
  log(id: string): string
  /** The queue: a sorted set of `<id>:<attempt>`, FIFO by score, low priority after. */
  readonly queue: string
  /** Queue order and lease tokens: counters. */
  readonly counter: string
  /** Claimed and running attempts, `<id>:<attempt>:<token>`, scored by when they must be looked at. */
  readonly leases: string
  /** Queued attempts, `<id>:<attempt>`, scored by when their ttl passes. */
  readonly expiries: string
  /** The deployment's job counts for `/health`: a hash. */
  readonly counts: string
  /** The members of the fleet and their slots: a hash of `<member>` to `<idle>:<running>:<until>`. */
  readonly members: string
  /** Webhook deliveries to make: a Redis Stream, read by a consumer group. */
  readonly outbox: string
  /** The one channel every member listens to (appends, ends, cancels, new work). */
  readonly bell: string
}

/** The keys of the deployment named `prefix`. */
export function redisKeys(prefix: string): RedisKeys {
  const p = `{${prefix}}:`
  return {
    base: p,
    job: (id) => `${p}job:${id}`,
    log: (id) => `${p}log:${id}`,
    queue: `${p}queue`,
    counter: `${p}counter`,
    leases: `${p}leases`,
    expiries: `${p}expiries`,
    counts: `${p}counts`,
    members: `${p}members`,
    outbox: `${p}outbox`,
    bell: `${p}bell`,
  }
}

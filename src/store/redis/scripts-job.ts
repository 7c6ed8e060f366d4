/**
 * The Redis store's scripts for a job's record and log, outside a running attempt: create, read,
 * retry, the drained cursor, readers, delete. Each is atomic, as Redis runs scripts.
 *
 * A job's hash holds its request (`req`), `origin`, `ttl`, `xto` (its execution timeout), `wh` (1
 * when it has a webhook), and its current attempt: `n`, `st`, `qAt`, `sAt`, `fAt`, `wid`, `kind`,
 * `err`, `prog`, `out`, `base`, `last`, `drain`, `tok` (the lease token while it is claimed or
 * running), `xdl` (its execution deadline, Redis time), `v` (bumped by every change the `done`
 * event shows), and `rd` (live readers). Its log is a stream of batches of events (see
 * `log-entries.ts`).
 * @module
 */
import type { RedisScript } from './redis-client.ts'
import { lua } from './lua.ts'

/**
 * KEYS: counts, expiries. ARGV: prefix, id, req, origin, qAt, ttl, xto, wh, expireAt, queueWithinMs, keep.
 * The job, `IN_QUEUE` but not queued yet (`unq`): queued by its creator's next script, or, if that
 * creator dies first, found by a sweep `queueWithinMs` later and removed (see SWEEP).
 */
export const CREATE: RedisScript = {
  name: 'create',
  keys: 2,
  lua: lua(`
local id = ARGV[2]
local key = jobKey(id)
redis.call('HSET', key, 'req', ARGV[3], 'origin', ARGV[4], 'qAt', ARGV[5], 'ttl', ARGV[6], 'xto', ARGV[7], 'wh', ARGV[8],
  'n', 1, 'st', 'IN_QUEUE', 'base', 0, 'last', 0, 'drain', 0, 'v', 1, 'rd', 0, 'unq', 1, 'keep', ARGV[11])
redis.call('PEXPIREAT', key, ARGV[9])
redis.call('HINCRBY', KEYS[1], 'inQueue', 1)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[10]), id .. ':1')
return redis.call('HGETALL', key)
`),
}

/**
 * KEYS: none. ARGV: prefix, id, after, entries, maxChars. Where the job's log stands and its entries
 * holding events after `after` (the first may begin before it), about `maxChars` of JSON (one
 * entry at least), taken `entries` at a time: `{ after, lastSeq, ended, entries }` (`after` raised to
 * the attempt's first seq), or nil for no job. Entries are batches (see `log-entries.ts`): Redis
 * copies a few of them, not one value per event.
 */
export const READ: RedisScript = {
  name: 'read',
  keys: 0,
  lua: lua(`
local id = ARGV[2]
local fields = redis.call('HMGET', jobKey(id), 'n', 'st', 'base', 'last')
if not fields[1] then return nil end
local after = math.max(tonumber(ARGV[3]), tonumber(fields[3]))
local last = tonumber(fields[4])
local reply = { after, last, ended(fields[2]) and 1 or 0 }
-- What a reader's chunk cannot hold is not sent: it reads again from where the chunk ended.
local budget, chars, kept, from = tonumber(ARGV[5]), 0, {}, after
while from < last and (#kept == 0 or chars < budget) do
  local entries = redis.call('XRANGE', logKey(id), '0-' .. (from + 1), '+', 'COUNT', tonumber(ARGV[4]))
  if #entries == 0 then break end
  for _, entry in ipairs(entries) do
    if #kept > 0 and chars >= budget then break end
    kept[#kept + 1] = entry
    chars = chars + #entry[2][6]
    from = tonumber(string.sub(entry[1], 3))
  end
end
reply[4] = kept
return reply
`),
}

/** KEYS: counts, expiries. ARGV: prefix, id, attempt, queuedAt, expireAt, queueWithinMs. A new attempt of a FAILED or TIMED_OUT job, or nil. */
export const RETRY: RedisScript = {
  name: 'retry',
  keys: 2,
  lua: lua(`
local key = jobKey(ARGV[2])
local fields = redis.call('HMGET', key, 'n', 'st', 'last', 'v')
if fields[1] ~= ARGV[3] or (fields[2] ~= 'FAILED' and fields[2] ~= 'TIMED_OUT') then return nil end
redis.call('HDEL', key, 'sAt', 'fAt', 'wid', 'kind', 'err', 'prog', 'out', 'tok', 'xdl')
redis.call('HSET', key, 'n', tonumber(ARGV[3]) + 1, 'st', 'IN_QUEUE', 'qAt', ARGV[4], 'base', fields[3], 'drain', fields[3],
  'v', tonumber(fields[4]) + 1, 'unq', 1)
-- Not queued yet, as a new job is (see CREATE).
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[6]), ARGV[2] .. ':' .. (tonumber(ARGV[3]) + 1))
-- The log holds the current attempt's events: the new one's seqs go on from the last.
redis.call('DEL', logKey(ARGV[2]))
redis.call('PEXPIREAT', key, ARGV[5])
redis.call('HINCRBY', KEYS[1], 'retried', 1)
redis.call('HINCRBY', KEYS[1], 'inQueue', 1)
return redis.call('HGETALL', key)
`),
}

/** KEYS: none. ARGV: prefix, id, attempt, seq. */
export const MARK_DRAINED: RedisScript = {
  name: 'markDrained',
  keys: 0,
  lua: lua(`
local key = jobKey(ARGV[2])
if redis.call('HGET', key, 'n') == ARGV[3] then redis.call('HSET', key, 'drain', ARGV[4]) end
return 1
`),
}

/** KEYS: none. ARGV: prefix, id, change. The job's live readers after the change (0 for no job). */
export const READERS: RedisScript = {
  name: 'readers',
  keys: 0,
  lua: lua(`
local key = jobKey(ARGV[2])
if redis.call('EXISTS', key) == 0 then return 0 end
return redis.call('HINCRBY', key, 'rd', ARGV[3])
`),
}

/** KEYS: counts, bell. ARGV: prefix, id. Forgets a job; one deleted before it ended never was. */
export const DELETE: RedisScript = {
  name: 'delete',
  keys: 2,
  lua: lua(`
local id = ARGV[2]
local status = redis.call('HGET', jobKey(id), 'st')
if not status then return 0 end
if status == 'IN_QUEUE' then redis.call('HINCRBY', KEYS[1], 'inQueue', -1) end
if status == 'IN_PROGRESS' then redis.call('HINCRBY', KEYS[1], 'inProgress', -1) end
redis.call('DEL', jobKey(id), logKey(id))
redis.call('PUBLISH', KEYS[2], 'e:' .. id)
return 1
`),
}

/** KEYS: none. ARGV: prefix, then ids. Each job's last seq and status: `{ last, status, ... }`, `-1, ''` for none. */
export const POSITIONS: RedisScript = {
  name: 'positions',
  keys: 0,
  lua: lua(`
local reply = {}
for index = 2, #ARGV do
  local fields = redis.call('HMGET', jobKey(ARGV[index]), 'last', 'st')
  reply[#reply + 1] = tonumber(fields[1] or '-1')
  reply[#reply + 1] = fields[2] or ''
end
return reply
`),
}

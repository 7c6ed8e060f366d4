/**
 * The Redis store's scripts for the deployment's queue and its members: enqueue, claim under a
 * lease, renew, release, purge, `/health`, the sweep that finds what a gone member left, and the
 * webhook outbox. Times that decide between members are Redis's clock, never a member's.
 * @module
 */
import type { RedisScript } from './redis-client.ts'
import { lua } from './lua.ts'

/** Scores past this are low priority: FIFO among themselves, after every other entry. */
const LOW_PRIORITY = 2 ** 50

/**
 * KEYS: counts, queue, expiries, counter, bell. ARGV: prefix, id, attempt, lowPriority (1/0),
 * limit (-1 for none). Queues an attempt the job holds `IN_QUEUE`, to be ended `TIMED_OUT` by a
 * sweep if its ttl passes first: `{'ok'}`, `{'full', waiting}` when `limit` others wait already,
 * or `{'gone'}` when the job no longer holds that attempt queued.
 */
export const ENQUEUE: RedisScript = {
  name: 'enqueue',
  keys: 5,
  lua: lua(`
local id, attempt = ARGV[2], ARGV[3]
local key = jobKey(id)
local fields = redis.call('HMGET', key, 'n', 'st', 'qAt', 'ttl')
-- Ended or removed since it was made (a sweep took it for its dead creator's): nothing to queue.
if fields[1] ~= attempt or fields[2] ~= 'IN_QUEUE' then return { 'gone' } end
local waiting = tonumber(redis.call('HGET', KEYS[1], 'inQueue') or '0') - 1
local limit = tonumber(ARGV[5])
if limit >= 0 and waiting >= limit then return { 'full', waiting } end
local order = redis.call('HINCRBY', KEYS[4], 'order', 1)
if ARGV[4] == '1' then order = order + ${LOW_PRIORITY} end
redis.call('ZADD', KEYS[2], order, id .. ':' .. attempt)
redis.call('HDEL', key, 'unq')
redis.call('ZADD', KEYS[3], tonumber(fields[3]) + tonumber(fields[4]), id .. ':' .. attempt)
redis.call('PUBLISH', KEYS[5], 'w')
return { 'ok' }
`),
}

/**
 * KEYS: queue, counter, leases. ARGV: prefix, max, leaseMs. Takes up to `max` queued attempts,
 * FIFO, low priority after, each under a new lease the job records: `{ id, attempt, token, ... }`.
 * Entries of attempts that ended while they waited are dropped.
 */
export const CLAIM: RedisScript = {
  name: 'claim',
  keys: 3,
  lua: lua(`
local max = tonumber(ARGV[2])
local reply = {}
while #reply < max * 3 do
  local popped = redis.call('ZPOPMIN', KEYS[1])
  if #popped == 0 then break end
  local parts = split(popped[1])
  local id, attempt = parts[1], parts[2]
  local key = jobKey(id)
  local fields = redis.call('HMGET', key, 'n', 'st', 'tok')
  if fields[1] == attempt and fields[2] == 'IN_QUEUE' and not fields[3] then
    local token = tostring(redis.call('HINCRBY', KEYS[2], 'token', 1))
    -- The order it had, to put it back in its place if its claimer is gone before it starts.
    redis.call('HSET', key, 'tok', token, 'ord', popped[2])
    redis.call('ZADD', KEYS[3], now + tonumber(ARGV[3]), id .. ':' .. attempt .. ':' .. token)
    reply[#reply + 1] = id
    reply[#reply + 1] = attempt
    reply[#reply + 1] = token
  end
end
return reply
`),
}

/**
 * KEYS: leases. ARGV: prefix, leaseMs, deadlineGraceMs, then `<id>:<attempt>:<token>` per lease.
 * Extends the leases the jobs still hold; answers the indexes (from 0) of those that are lost.
 */
export const RENEW: RedisScript = {
  name: 'renew',
  keys: 1,
  lua: lua(`
local lost = {}
for index = 4, #ARGV do
  local parts = split(ARGV[index])
  local fields = redis.call('HMGET', jobKey(parts[1]), 'n', 'st', 'tok', 'xdl')
  if fields[1] == parts[2] and fields[3] == parts[3] and (fields[2] == 'IN_PROGRESS' or fields[2] == 'IN_QUEUE') then
    local score = now + tonumber(ARGV[2])
    if fields[4] then score = math.min(score, tonumber(fields[4]) + tonumber(ARGV[3])) end
    redis.call('ZADD', KEYS[1], 'XX', score, ARGV[index])
  else
    redis.call('ZREM', KEYS[1], ARGV[index])
    lost[#lost + 1] = index - 4
  end
end
return lost
`),
}

/**
 * KEYS: leases, queue, bell. ARGV: prefix, id, attempt, token. A lease given back: a claim that was
 * never started goes back to its place in the queue.
 */
export const RELEASE: RedisScript = {
  name: 'release',
  keys: 3,
  lua: lua(`
local id, attempt, token = ARGV[2], ARGV[3], ARGV[4]
redis.call('ZREM', KEYS[1], id .. ':' .. attempt .. ':' .. token)
local key = jobKey(id)
local fields = redis.call('HMGET', key, 'n', 'st', 'tok', 'ord')
if fields[1] == attempt and fields[2] == 'IN_QUEUE' and fields[3] == token then
  redis.call('HDEL', key, 'tok')
  redis.call('ZADD', KEYS[2], fields[4], id .. ':' .. attempt)
  redis.call('PUBLISH', KEYS[3], 'w')
end
return 1
`),
}

/** KEYS: queue, expiries. ARGV: prefix. Empties the queue: `{ id, attempt, lowPriority, ... }`. */
export const PURGE: RedisScript = {
  name: 'purge',
  keys: 2,
  lua: lua(`
local entries = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
redis.call('DEL', KEYS[1])
local reply = {}
for index = 1, #entries, 2 do
  local parts = split(entries[index])
  redis.call('ZREM', KEYS[2], entries[index])
  reply[#reply + 1] = parts[1]
  reply[#reply + 1] = parts[2]
  reply[#reply + 1] = tonumber(entries[index + 1]) > ${LOW_PRIORITY} and 1 or 0
end
return reply
`),
}

/**
 * KEYS: counts, members. ARGV: prefix, member, idle, running, memberTtlMs. Records this member's
 * slots, forgets members not heard of within their ttl, and answers the deployment's counts:
 * `{ completed, failed, inProgress, inQueue, retried, idle, running }`. Other members report their
 * slots only every few seconds, so the workers are told from the slots they have (which rarely
 * change) and the jobs in progress (which are exact): running is those jobs, idle the rest.
 */
export const HEALTH: RedisScript = {
  name: 'health',
  keys: 2,
  lua: lua(`
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3] .. ':' .. ARGV[4] .. ':' .. (now + tonumber(ARGV[5])))
local slots = 0
local members = redis.call('HGETALL', KEYS[2])
for index = 1, #members, 2 do
  local parts = split(members[index + 1])
  if tonumber(parts[3]) < now then
    redis.call('HDEL', KEYS[2], members[index])
  else
    slots = slots + tonumber(parts[1]) + tonumber(parts[2])
  end
end
local counts = redis.call('HMGET', KEYS[1], 'completed', 'failed', 'inProgress', 'inQueue', 'retried')
local reply = {}
for index = 1, 5 do reply[index] = tonumber(counts[index] or '0') end
-- A lost member's jobs are in progress until a sweep ends them, but hold none of these slots.
local running = math.min(reply[3], slots)
reply[6] = slots - running
reply[7] = running
return reply
`),
}

/**
 * KEYS: leases, expiries, queue, bell, counts, counter. ARGV: prefix, batch, holdMs. What members
 * that are gone, or late, left behind: an attempt made but never queued (its member died between
 * the two scripts) is removed if it was a new job, whose id no one was told, or queued if it was a
 * retry, which was made; a claim never started goes back to its place in the queue; a running attempt
 * whose lease ran out, or whose execution deadline passed, and a queued one whose ttl passed, are
 * answered `{ id, attempt, reason, ... }` (reason `lost`, `timeout` or `ttl`) for the caller to end,
 * and held back `holdMs` from the next sweep, so that members sweeping together rarely repeat it.
 */
export const SWEEP: RedisScript = {
  name: 'sweep',
  keys: 6,
  lua: lua(`
local batch, hold = tonumber(ARGV[2]), tonumber(ARGV[3])
local reply = {}
for _, lease in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, batch)) do
  local parts = split(lease)
  local id, attempt, token = parts[1], parts[2], parts[3]
  local key = jobKey(id)
  local fields = redis.call('HMGET', key, 'n', 'st', 'tok', 'xdl', 'ord')
  if fields[1] ~= attempt or fields[3] ~= token then
    redis.call('ZREM', KEYS[1], lease)
  elseif fields[2] == 'IN_QUEUE' then
    redis.call('ZREM', KEYS[1], lease)
    redis.call('HDEL', key, 'tok')
    redis.call('ZADD', KEYS[3], fields[5], id .. ':' .. attempt)
    redis.call('PUBLISH', KEYS[4], 'w')
  elseif fields[2] == 'IN_PROGRESS' then
    redis.call('ZADD', KEYS[1], now + hold, lease)
    reply[#reply + 1] = id
    reply[#reply + 1] = attempt
    reply[#reply + 1] = (fields[4] and now >= tonumber(fields[4])) and 'timeout' or 'lost'
  else
    redis.call('ZREM', KEYS[1], lease)
  end
end
for _, entry in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, batch)) do
  local parts = split(entry)
  local id, key = parts[1], jobKey(parts[1])
  local fields = redis.call('HMGET', key, 'n', 'st', 'unq', 'qAt', 'ttl', 'req')
  if fields[1] == parts[2] and fields[2] == 'IN_QUEUE' and fields[3] and parts[2] == '1' then
    redis.call('ZREM', KEYS[2], entry)
    redis.call('HINCRBY', KEYS[5], 'inQueue', -1)
    redis.call('DEL', key, logKey(id))
    redis.call('PUBLISH', KEYS[4], 'e:' .. id)
  elseif fields[1] == parts[2] and fields[2] == 'IN_QUEUE' and fields[3] then
    local policy = cjson.decode(fields[6]).policy
    local order = redis.call('HINCRBY', KEYS[6], 'order', 1)
    if type(policy) == 'table' and policy.lowPriority == true then order = order + ${LOW_PRIORITY} end
    redis.call('ZADD', KEYS[3], order, entry)
    redis.call('HDEL', key, 'unq')
    redis.call('ZADD', KEYS[2], tonumber(fields[4]) + tonumber(fields[5]), entry)
    redis.call('PUBLISH', KEYS[4], 'w')
  elseif fields[1] == parts[2] and fields[2] == 'IN_QUEUE' then
    redis.call('ZADD', KEYS[2], now + hold, entry)
    reply[#reply + 1] = parts[1]
    reply[#reply + 1] = parts[2]
    reply[#reply + 1] = 'ttl'
  else
    redis.call('ZREM', KEYS[2], entry)
  end
end
return reply
`),
}

/**
 * KEYS: outbox. ARGV: prefix, max, claimMs. Takes up to `max` webhook deliveries that are due (new,
 * or left by a member that stopped renewing them), each held for `claimMs`: `{ id, attempt, ... }`.
 */
export const OUTBOX_TAKE: RedisScript = {
  name: 'outboxTake',
  keys: 1,
  lua: lua(`
local reply = {}
for _, entry in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))) do
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), entry)
  local parts = split(entry)
  reply[#reply + 1] = parts[1]
  reply[#reply + 1] = parts[2]
end
return reply
`),
}

/** KEYS: outbox. ARGV: prefix, claimMs, then `<id>:<attempt>` per delivery. Keeps deliveries under way held. */
export const OUTBOX_HOLD: RedisScript = {
  name: 'outboxHold',
  keys: 1,
  lua: lua(`
for index = 3, #ARGV do redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[index]) end
return 1
`),
}

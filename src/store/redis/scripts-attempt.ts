/**
 * The Redis store's scripts for a running attempt: start it under its lease, write to it, end it.
 * Every write checks the lease token the job holds (fencing): a member whose lease was taken from
 * it (it stalled, or the job was ended elsewhere) writes nothing more.
 * @module
 */
import type { RedisScript } from './redis-client.ts'
import { lua } from './lua.ts'

/**
 * KEYS: counts, leases, expiries. ARGV: prefix, id, attempt, token, workerId, startedAt, leaseMs,
 * deadlineGraceMs. `IN_QUEUE` to `IN_PROGRESS` under the claim's lease: the job's hash, or nil.
 * A running job's keys never expire: its ttl is looked at again when it ends.
 */
export const START: RedisScript = {
  name: 'start',
  keys: 3,
  lua: lua(`
local id, attempt, token = ARGV[2], ARGV[3], ARGV[4]
local key = jobKey(id)
local fields = redis.call('HMGET', key, 'n', 'st', 'tok', 'xto', 'v')
if fields[1] ~= attempt or fields[2] ~= 'IN_QUEUE' or fields[3] ~= token then return nil end
local deadline = now + tonumber(fields[4])
redis.call('HSET', key, 'st', 'IN_PROGRESS', 'sAt', ARGV[6], 'wid', ARGV[5], 'xdl', deadline, 'v', tonumber(fields[5]) + 1)
redis.call('PERSIST', key)
redis.call('PERSIST', logKey(id))
redis.call('HINCRBY', KEYS[1], 'inQueue', -1)
redis.call('HINCRBY', KEYS[1], 'inProgress', 1)
-- Looked at when the lease runs out, or a little after the execution deadline: the member running
-- the job times it out itself, and only a member that is gone leaves it to another.
redis.call('ZADD', KEYS[2], math.min(now + tonumber(ARGV[7]), deadline + tonumber(ARGV[8])), id .. ':' .. attempt .. ':' .. token)
redis.call('ZREM', KEYS[3], id .. ':' .. attempt)
return redis.call('HGETALL', key)
`),
}

/** KEYS: none. ARGV: prefix, id, attempt, token. The handler returned a stream: 1, or 0 when the lease is lost. */
export const STREAMING: RedisScript = {
  name: 'streaming',
  keys: 0,
  lua: lua(`
local key = jobKey(ARGV[2])
local fields = redis.call('HMGET', key, 'n', 'st', 'tok')
if fields[1] ~= ARGV[3] or fields[2] ~= 'IN_PROGRESS' or fields[3] ~= ARGV[4] then return 0 end
redis.call('HSET', key, 'kind', 'stream')
return 1
`),
}

/**
 * KEYS: bell. ARGV: prefix, id, attempt, token, count, types, jsons, progress. Appends a batch of
 * `count` events to the log as one entry (see `log-entries.ts`), numbered on from the last seq, and
 * records `progress` (the batch's last progress report, '' for none): the new last seq, or 0
 * (nothing written) when the lease is lost.
 */
export const APPEND: RedisScript = {
  name: 'append',
  keys: 1,
  lua: lua(`
local id = ARGV[2]
local key = jobKey(id)
local fields = redis.call('HMGET', key, 'n', 'st', 'tok', 'last', 'v')
if fields[1] ~= ARGV[3] or fields[2] ~= 'IN_PROGRESS' or fields[3] ~= ARGV[4] then return 0 end
local first = tonumber(fields[4]) + 1
local last = first + tonumber(ARGV[5]) - 1
redis.call('XADD', logKey(id), '0-' .. last, 'f', first, 't', ARGV[6], 'j', ARGV[7])
redis.call('HSET', key, 'last', last)
-- The done event shows the latest progress: a finish computed before this one must be made again.
if ARGV[8] ~= '' then redis.call('HSET', key, 'prog', ARGV[8], 'v', tonumber(fields[5]) + 1) end
redis.call('PUBLISH', KEYS[1], 'a:' .. id .. ':' .. last)
return last
`),
}

/**
 * KEYS: counts, leases, expiries, outbox, bell. ARGV: prefix, id, attempt, token ('' for anyone),
 * queuedOnly (1/0), version, status, finishedAt, errorJson, result, aggregateJson, doneJson,
 * deleteAt. Ends the attempt once, with its done event (computed by the caller from the job at
 * `version`), and queues its webhook in the outbox: the job's hash, 'stale' when the job changed
 * since `version` (compute again), or nil when it cannot end now (ended, retried, not its lease).
 */
export const FINISH: RedisScript = {
  name: 'finish',
  keys: 5,
  lua: lua(`
local id, attempt, token = ARGV[2], ARGV[3], ARGV[4]
local key = jobKey(id)
local fields = redis.call('HMGET', key, 'n', 'st', 'tok', 'v', 'last', 'wh')
local status = fields[2]
if fields[1] ~= attempt or not status or ended(status) then return nil end
if token ~= '' and fields[3] ~= token then return nil end
if ARGV[5] == '1' and status ~= 'IN_QUEUE' then return nil end
if fields[4] ~= ARGV[6] then return 'stale' end
local ending = ARGV[7]
if status == 'IN_PROGRESS' then redis.call('HINCRBY', KEYS[1], 'inProgress', -1) else redis.call('HINCRBY', KEYS[1], 'inQueue', -1) end
if ending == 'COMPLETED' then redis.call('HINCRBY', KEYS[1], 'completed', 1) elseif ending ~= 'CANCELLED' then redis.call('HINCRBY', KEYS[1], 'failed', 1) end
redis.call('HSET', key, 'st', ending, 'fAt', ARGV[8], 'v', tonumber(fields[4]) + 1)
if ARGV[9] ~= '' then redis.call('HSET', key, 'err', ARGV[9]) end
local log = logKey(id)
local first = tonumber(fields[5]) + 1
local last = first
-- The result (a handler's return value) and the done event: one entry of the log.
if ARGV[10] ~= '' then
  last = first + 1
  redis.call('XADD', log, '0-' .. last, 'f', first, 't', 'output,done', 'j', ARGV[10] .. '\\n' .. ARGV[12])
  redis.call('HSET', key, 'kind', 'value', 'out', ARGV[10])
else
  if ARGV[11] ~= '' then redis.call('HSET', key, 'out', ARGV[11]) end
  redis.call('XADD', log, '0-' .. last, 'f', first, 't', 'done', 'j', ARGV[12])
end
redis.call('HSET', key, 'last', last)
if fields[3] then redis.call('ZREM', KEYS[2], id .. ':' .. attempt .. ':' .. fields[3]) end
redis.call('HDEL', key, 'tok')
redis.call('ZREM', KEYS[3], id .. ':' .. attempt)
if fields[6] == '1' then redis.call('ZADD', KEYS[4], 'NX', 0, id .. ':' .. attempt) end
redis.call('PEXPIREAT', key, ARGV[13])
redis.call('PEXPIREAT', log, ARGV[13])
redis.call('PUBLISH', KEYS[5], 'e:' .. id)
if fields[6] == '1' then redis.call('PUBLISH', KEYS[5], 'o') end
return redis.call('HGETALL', key)
`),
}

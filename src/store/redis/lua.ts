/**
 * Lua shared by the Redis store's scripts: the clock, and how a script reaches a job's keys.
 * Scripts read Redis's own clock, never a member's: leases are compared across machines whose
 * clocks differ.
 * @module
 */

/**
 * Defines, in a script, `now` (Redis's clock, ms), `jobKey(id)` and `logKey(id)` (the prefix is
 * the script's first argument), and `member(...)` (a queue or lease member from its parts).
 */
export const PRELUDE = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local prefix = ARGV[1]
local function jobKey(id) return prefix .. 'job:' .. id end
local function logKey(id) return prefix .. 'log:' .. id end
local function split(text)
  local parts = {}
  for part in string.gmatch(text, '[^:]+') do parts[#parts + 1] = part end
  return parts
end
local function ended(status)
  return status == 'COMPLETED' or status == 'FAILED' or status == 'CANCELLED' or status == 'TIMED_OUT'
end
`

/** A script: the prelude, then `body`. */
export function lua(body: string): string {
  return `${PRELUDE}\n${body}`
}

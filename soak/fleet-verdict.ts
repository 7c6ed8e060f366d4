/**
 * Whether a fleet soak passed: every count of {@link mustBeZero} at 0, a member killed when kills
 * were asked for, and once the ttl has passed, no key of a job left in Redis, no key the baseline
 * did not have, Redis's memory back to its baseline within {@link REDIS_SLACK_BYTES}, and no job
 * held, queued or running on any member.
 * @module
 */
import type { RedisSnapshot } from './redis-memory.ts'
import type { Tally } from './tally.ts'
import { mustBeZero } from './tally.ts'
import type { SoakVerdict } from './verdict.ts'
import type { SoakStats } from './worker.ts'

/**
 * How far Redis's `used_memory` may end above its baseline: the allocator keeps some pages of what
 * it freed, and the members' connections' buffers vary by a few KB; a job's hash and log alone
 * are about 10 KB, so even a few hundred jobs left over would show.
 */
export const REDIS_SLACK_BYTES = 2 ** 20

/** What a fleet soak's verdict is judged from. */
export interface FleetEnd {
  tally: Tally
  /** Whether the soak was asked to kill members. */
  killsAsked: boolean
  redisBaseline: RedisSnapshot
  redisEnd: RedisSnapshot
  /** Each live member's stats at the end, by `workerId`. */
  members: Record<string, SoakStats>
}

/** Judges a fleet soak. */
export function fleetVerdict({ tally, killsAsked, redisBaseline, redisEnd, members }: FleetEnd): SoakVerdict {
  const reasons: string[] = []
  for (const key of mustBeZero) if (tally[key] > 0) reasons.push(`${key}: ${tally[key]}`)
  if (killsAsked && (tally.fleet?.kills ?? 0) === 0) reasons.push('no member was killed during the load')
  if (redisEnd.jobKeys > 0) reasons.push(`${redisEnd.jobKeys} keys of jobs still in Redis after their ttl`)
  const extra = redisEnd.otherKeys.filter((key) => !redisBaseline.otherKeys.includes(key))
  if (extra.length > 0) reasons.push(`keys not at the baseline still in Redis: ${extra.join(', ')}`)
  const grown = redisEnd.usedMemory - redisBaseline.usedMemory
  if (grown > REDIS_SLACK_BYTES) reasons.push(`Redis used_memory ${(grown / 2 ** 20).toFixed(2)} MB above the baseline`)
  for (const [workerId, stats] of Object.entries(members)) {
    if (stats.heldJobs > 0) reasons.push(`${workerId}: ${stats.heldJobs} jobs still held after their ttl`)
    const { inQueue, inProgress } = stats.health.jobs
    if (inQueue + inProgress > 0) reasons.push(`${workerId}: ${inQueue} queued and ${inProgress} running at the end`)
  }
  return { passed: reasons.length === 0, reasons }
}

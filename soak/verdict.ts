/**
 * Whether a soak run passed: every count of {@link mustBeZero} at 0, and once the ttl has passed, no
 * job held, nothing queued or running, no webhook delivery under way, no timer keeping the process
 * alive, no more sockets or other handles than at the baseline, and the heap back to it within
 * {@link HEAP_SLACK_BYTES}. The baseline itself must be idle (no timer, no delivery under way): a
 * baseline taken while work was owed would hide what the end is compared with.
 * @module
 */
import type { Tally } from './tally.ts'
import { mustBeZero } from './tally.ts'
import type { SoakStats } from './worker.ts'

/**
 * How far the collected heap may end above its baseline: V8 keeps some compiled code and
 * inline caches from the load, a few MB; a leak of even 1 KB per job is 10s of MB here.
 */
export const HEAP_SLACK_BYTES = 8 * 2 ** 20

/** The verdict and each reason it failed. */
export interface SoakVerdict {
  passed: boolean
  reasons: string[]
}

/** Judges a run from its tally and the stats at the baseline and at the end. */
export function soakVerdict(tally: Tally, baseline: SoakStats, end: SoakStats): SoakVerdict {
  const reasons: string[] = []
  for (const key of mustBeZero) if (tally[key] > 0) reasons.push(`${key}: ${tally[key]}`)
  if (end.heldJobs > 0) reasons.push(`${end.heldJobs} jobs still held after their ttl`)
  const { inQueue, inProgress } = end.health.jobs
  if (inQueue + inProgress > 0) reasons.push(`${inQueue} queued and ${inProgress} running at the end`)
  const busyBaseline = (baseline.resources['Timeout'] ?? 0) + baseline.webhooksUnderWay
  if (busyBaseline > 0) {
    reasons.push(`the baseline was not idle: ${baseline.resources['Timeout'] ?? 0} Timeout, ${baseline.webhooksUnderWay} webhook deliveries under way`)
  }
  if (end.webhooksUnderWay > 0) reasons.push(`${end.webhooksUnderWay} webhook deliveries still under way at the end`)
  for (const [type, count] of Object.entries(end.resources)) {
    // An idle worker holds no timer that keeps the process alive.
    const allowed = type === 'Timeout' ? 0 : (baseline.resources[type] ?? 0)
    if (count > allowed) reasons.push(`${count} ${type} at the end, ${allowed} allowed`)
  }
  const grown = end.heapUsed - baseline.heapUsed
  if (grown > HEAP_SLACK_BYTES) reasons.push(`heap ${(grown / 2 ** 20).toFixed(1)} MB above the baseline`)
  return { passed: reasons.length === 0, reasons }
}

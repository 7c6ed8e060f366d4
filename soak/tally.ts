/**
 * What the soak counts, and the few helpers its loops share: a seeded random source, `Retry-After`,
 * and the JSON body of an answer.
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { textOf } from '../bench/lib/http.ts'

/** Counts of one soak run. Anything in the second group above 0 is a failure. */
export interface Tally {
  streams: number
  streamOutputs: number
  resumes: number
  runAccepted: number
  runCompleted: number
  runCancelled: number
  /** Documented refusals of `/run`: 429 `queue_full`, each followed by a wait of its `Retry-After`. */
  runRefused429: number
  /** The same, of `POST /stream`: a stream loop waits too, so fewer streams are open meanwhile. */
  streamRefused429: number
  /** Webhooks that came again for a job already judged (delivery is at least once). */
  repeatedWebhooks: number
  lostOutputs: number
  duplicatedOutputs: number
  outOfOrderOutputs: number
  /** Event ids that did not follow the last one seen by exactly 1, or events after `done`. */
  badEventIds: number
  /** Jobs accepted that were not found, or did not end as they should. */
  lostJobs: number
  /** Storm jobs whose webhook never came (judged from `/status` instead, when still held). */
  missingWebhooks: number
  /** Streams that ended without a `done` event. */
  truncatedStreams: number
  /** Network errors, answers that are neither 2xx nor 429 `queue_full`. */
  failedRequests: number
  /** The first few failures, described. */
  failures: string[]
  /** What a fleet soak counts besides (absent from a single process's tally). */
  fleet?: FleetCounts
}

/**
 * A fleet soak's own counts, none of them a failure: what the kills did, and what was checked
 * across members. A job whose member was killed ends `FAILED` with `worker_lost` (with the outputs
 * it had made): counted here, not lost, when the member named in its status is one the soak killed.
 */
export interface FleetCounts {
  kills: number
  /** Members started, the first ones and the replacements of those killed. */
  membersStarted: number
  /** Connections and requests cut because their member was killed: each resumed or sent elsewhere. */
  cutByKill: number
  /** Stream jobs that ended `worker_lost`, their outputs as their reader saw them. */
  workerLostStreams: number
  /** Storm jobs that ended `worker_lost`, their outputs in order. */
  workerLostRuns: number
  /** Outputs of `worker_lost` jobs kept in their status. */
  keptOutputs: number
  /** Stream jobs whose `/status`, asked of another member, was checked against what their reader saw. */
  statusChecks: number
  /** The longest from a kill to the `done` of a stream job of the killed member, ms. */
  maxKillToDoneMs: number
}

/** Fleet counts at 0. */
export function emptyFleetCounts(): FleetCounts {
  return { kills: 0, membersStarted: 0, cutByKill: 0, workerLostStreams: 0, workerLostRuns: 0, keptOutputs: 0, statusChecks: 0, maxKillToDoneMs: 0 }
}

/** A tally with everything at 0. */
export function emptyTally(): Tally {
  return {
    streams: 0,
    streamOutputs: 0,
    resumes: 0,
    runAccepted: 0,
    runCompleted: 0,
    runCancelled: 0,
    runRefused429: 0,
    streamRefused429: 0,
    repeatedWebhooks: 0,
    lostOutputs: 0,
    duplicatedOutputs: 0,
    outOfOrderOutputs: 0,
    badEventIds: 0,
    lostJobs: 0,
    missingWebhooks: 0,
    truncatedStreams: 0,
    failedRequests: 0,
    failures: [],
  }
}

/** The counts that must be 0 for the soak to pass. */
export const mustBeZero = [
  'lostOutputs',
  'duplicatedOutputs',
  'outOfOrderOutputs',
  'badEventIds',
  'lostJobs',
  'missingWebhooks',
  'truncatedStreams',
  'failedRequests',
] as const satisfies readonly (keyof Tally)[]

/** Notes a failure of kind `count` (kept in words for the first 20). */
export function fail(tally: Tally, count: (typeof mustBeZero)[number], why: string, by = 1): void {
  tally[count] += by
  if (tally.failures.length < 20) tally.failures.push(why)
}

/** A seeded source of numbers in [0, 1) (mulberry32): a soak run can be repeated exactly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Handles an answer that is not 200: a 429 `queue_full` is counted (in `counter`) and waited out as
 * its `Retry-After` asks, anything else is a failure. True for a 429 (the caller may try again).
 */
export async function refusal(
  tally: Tally,
  response: IncomingMessage,
  what: string,
  counter: 'runRefused429' | 'streamRefused429' = 'runRefused429'
): Promise<boolean> {
  const body = await textOf(response)
  if (response.statusCode === 429 && body.includes('"code":"queue_full"')) {
    tally[counter]++
    await sleep(1_000 * Number(response.headers['retry-after'] ?? 1))
    return true
  }
  fail(tally, 'failedRequests', `${what}: HTTP ${response.statusCode} ${body.slice(0, 200)}`)
  return false
}

/** The JSON body of an answer. */
export async function jsonOf<T>(response: IncomingMessage): Promise<T> {
  return JSON.parse(await textOf(response)) as T
}

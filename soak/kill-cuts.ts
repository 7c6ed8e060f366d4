/**
 * How the soak's loops get past a member the fleet soak killed: a request or a connection it cut is
 * counted as such (never as a failure) and sent to another member.
 * @module
 */
import type { Agent, IncomingMessage } from 'node:http'
import { send } from '../bench/lib/http.ts'
import type { Target } from '../bench/lib/http.ts'
import type { Tally } from './tally.ts'
import type { Targets } from './targets.ts'

/** How many members in a row a request may find killed before its failure counts. */
const MAX_TRIES = 10

/**
 * Counts a request that failed, or a connection that closed early, at `url` as cut by a kill, if
 * that member had been killed by now; false otherwise (then it is a fault, or no fleet runs).
 */
export function cutByKill(targets: Targets, tally: Tally, url: string): boolean {
  if (!tally.fleet || !targets.killedBy(url, Date.now())) return false
  tally.fleet.cutByKill++
  return true
}

/**
 * Sends `target` to another member than the one at `url` (to `url` itself for one server); a
 * request cut by a kill goes on to the next member. Resolves with where it was answered, or with the
 * error of a failure that no kill explains.
 */
export async function sendElsewhere(
  targets: Targets,
  tally: Tally,
  url: string,
  target: Target,
  agent?: Agent
): Promise<{ url: string; response: IncomingMessage } | Error> {
  let last = url
  for (let tries = 1; ; tries++) {
    const next = targets.elsewhere(last)
    try {
      return { url: next, response: await send(next, target, agent) }
    } catch (error) {
      if (tries === MAX_TRIES || !cutByKill(targets, tally, next)) return error as Error
      last = next
    }
  }
}

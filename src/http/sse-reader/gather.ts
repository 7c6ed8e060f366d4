/**
 * Waiting a little for more: a producer yielding values already at hand appends one every few
 * microtask turns, and its events are best taken into one chunk while they keep coming. A reader
 * as fast as its producer (Bun's, or any one keeping up) would otherwise write a chunk, and wait,
 * for every event or two.
 * @module
 */
import type { JobLog } from './job-log.ts'

/** Microtask turns a reader waits for one more event before it sends what it has. */
export const GATHER_TURNS = 8

/** True when `log` has news after `cursor` within {@link GATHER_TURNS} turns; false at once when `stopped()`. */
export async function appendedSoon(log: JobLog, cursor: number, stopped: () => boolean): Promise<boolean> {
  let grew = false
  const stopWatching = log.watch(cursor, () => (grew = true))
  try {
    for (let turn = 0; turn < GATHER_TURNS && !grew; turn++) {
      await undefined
      if (stopped()) return false
    }
    return grew
  } finally {
    stopWatching()
  }
}

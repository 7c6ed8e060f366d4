/**
 * Callbacks run after the current task, on one immediate for all those asked for in the same task.
 * A `/runsync` reads its request's signal only if it still waits after the task that began it (see
 * wait.ts); under load one task begins many, and a timer each costs a call into the runtime on
 * Deno (about a microsecond, of a whole job's thirty). An immediate costs less than a 0-ms timer
 * everywhere it exists, and on Deno a seventh; Deno serves each request in a task of its own, so
 * there it is one per `/runsync`.
 *
 * On workerd each callback has a timer of its own: a timer there belongs to the request that made
 * it, and one shared with other requests would die with the first of them to end.
 * @module
 */
import { onWorkerd } from '../runtime.ts'
import { cancelImmediate, cancelTimer, startImmediate, startTimer } from './timers.ts'

/** The callbacks asked for since the shared immediate was set, in order. */
const pending = new Set<() => void>()
let immediate: unknown

/** Runs every pending callback; one that throws is reported after the others have run. */
function runPending(): void {
  immediate = undefined
  const callbacks = [...pending]
  pending.clear()
  for (const callback of callbacks) {
    try {
      callback()
    } catch (error) {
      queueMicrotask(() => {
        throw error
      })
    }
  }
}

/**
 * Runs `callback` after the current task; returns what cancels it, which the caller must call when
 * it no longer needs it. The shared immediate goes once no callback waits on it.
 */
export function afterTask(callback: () => void): () => void {
  if (onWorkerd()) {
    const own = startTimer(callback, 0)
    return () => cancelTimer(own)
  }
  pending.add(callback)
  if (immediate === undefined) immediate = startImmediate(runPending)
  return () => {
    if (!pending.delete(callback) || pending.size > 0) return
    cancelImmediate(immediate)
    immediate = undefined
  }
}

/**
 * Timers that never keep a process alive on their own: a 24-hour ttl must not stop `edgepod run`
 * from exiting. `unref` is Node's and Bun's; elsewhere it is simply absent.
 * @module
 */

/** `setTimeout` that does not hold the process open; returns a handle for {@link cancelTimer}. */
export function startTimer(callback: () => void, ms: number): unknown {
  // setTimeout overflows past 2^31-1 ms and fires at once; no job policy needs longer. A time
  // already past (a deadline due while the process was busy) is 0: Bun warns at a negative one.
  const handle = setTimeout(callback, Math.min(Math.max(ms, 0), 2_147_483_647)) as unknown
  ;(handle as { unref?: () => void }).unref?.()
  return handle
}

/** Clears a timer from {@link startTimer}; accepts undefined. */
export function cancelTimer(handle: unknown): void {
  if (handle !== undefined) clearTimeout(handle as ReturnType<typeof setTimeout>)
}

/** `setImmediate` and `clearImmediate`, where the runtime has them: not a web standard. */
const host = globalThis as {
  setImmediate?: (callback: () => void) => unknown
  clearImmediate?: (handle: unknown) => void
}

/**
 * Calls `callback` once the current task is over: `setImmediate` where the runtime has it (Node,
 * Bun and Deno), else a 0-ms timer. On Deno an immediate costs a seventh of a timer (0.16 µs
 * against 1.2 with its clearing, bench/RESULTS.md "Per-job cost, fourth round"); it never holds a
 * process open past its turn. Returns a handle for {@link cancelImmediate}. The globals are looked
 * up at each call, as a test's fake timers replace them.
 */
export function startImmediate(callback: () => void): unknown {
  return host.setImmediate ? host.setImmediate(callback) : startTimer(callback, 0)
}

/** Cancels what {@link startImmediate} returned; `undefined` is ignored. */
export function cancelImmediate(handle: unknown): void {
  if (handle === undefined) return
  if (host.clearImmediate) host.clearImmediate(handle)
  else cancelTimer(handle)
}

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

/**
 * One way to wait for "something happened, or time ran out, or the client left", used by every
 * long-poll (`/runsync`, `/status-sync`, polled `/stream`).
 * @module
 */
import { cancelTimer, startTimer } from './timers.ts'

/**
 * Resolves when `subscribe`'s callback is called, `ms` passes, or `signal` aborts, whichever is
 * first; `subscribe` returns the function that unsubscribes, which is always called.
 */
export function waitForSignal(subscribe: (wake: () => void) => () => void, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve()
  return new Promise((resolve) => {
    let unsubscribe: (() => void) | undefined
    let done = false
    const finish = () => {
      if (done) return
      done = true
      unsubscribe?.()
      cancelTimer(timer)
      signal?.removeEventListener('abort', finish)
      resolve()
    }
    const timer = startTimer(finish, ms)
    signal?.addEventListener('abort', finish)
    unsubscribe = subscribe(finish)
    if (done) unsubscribe()
  })
}

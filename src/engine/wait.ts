/**
 * One way to wait for "something happened, or time ran out, or the client left", used by every
 * long-poll (`/runsync`, `/status-sync`, polled `/stream`).
 * @module
 */
import { cancelTimer, startTimer } from './timers.ts'

/**
 * A request's abort signal, or a function that gets it. Reading `request.signal` makes an
 * AbortController on Node (`@hono/node-server`), which costs more than a short job: given a
 * function, a wait reads the signal only if it is still waiting after the current task.
 */
export type LazySignal = AbortSignal | (() => AbortSignal)

/**
 * Resolves when `subscribe`'s callback is called, `ms` passes, or `signal` aborts, whichever is
 * first; `subscribe` returns the function that unsubscribes, which is always called.
 */
export function waitForSignal(subscribe: (wake: () => void) => () => void, ms: number, lazySignal?: LazySignal): Promise<void> {
  if (typeof lazySignal === 'object' && lazySignal.aborted) return Promise.resolve()
  return new Promise((resolve) => {
    let unsubscribe: (() => void) | undefined
    let signal: AbortSignal | undefined
    let done = false
    const finish = () => {
      if (done) return
      done = true
      unsubscribe?.()
      cancelTimer(timer)
      cancelTimer(listening)
      signal?.removeEventListener('abort', finish)
      resolve()
    }
    const listen = (to: AbortSignal) => {
      listening = undefined
      if (done) return
      signal = to
      if (signal.aborted) finish()
      else signal.addEventListener('abort', finish)
    }
    const timer = startTimer(finish, ms)
    let listening: unknown
    if (typeof lazySignal === 'function') listening = startTimer(() => listen(lazySignal()), 0)
    else if (lazySignal) listen(lazySignal)
    unsubscribe = subscribe(finish)
    if (done) unsubscribe()
  })
}

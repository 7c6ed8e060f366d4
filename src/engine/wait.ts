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
    let timer: unknown
    const finish = () => {
      if (done) return
      done = true
      unsubscribe?.()
      cancelTimer(timer)
      signal?.removeEventListener('abort', finish)
      resolve()
    }
    const listen = (to: AbortSignal) => {
      signal = to
      if (signal.aborted) finish()
      else signal.addEventListener('abort', finish)
    }
    if (typeof lazySignal === 'function') {
      // One timer at a time: the first, after the current task, reads the signal and hands over to
      // one for the rest of `ms`. A wait that ends sooner (a short /runsync) makes one timer, not two.
      // The rest is measured on the monotonic clock: a wall clock set back must not lengthen it.
      const since = performance.now()
      timer = startTimer(() => {
        timer = startTimer(finish, ms - (performance.now() - since))
        listen(lazySignal())
      }, 0)
    } else {
      timer = startTimer(finish, ms)
      if (lazySignal) listen(lazySignal)
    }
    unsubscribe = subscribe(finish)
    if (done) unsubscribe()
  })
}

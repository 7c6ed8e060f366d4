/**
 * One way to wait for "something happened, or time ran out, or the client left", used by every
 * long-poll (`/runsync`, `/status-sync`, polled `/stream`).
 * @module
 */
import { afterTask } from './after-task.ts'
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
    let cancelRead: (() => void) | undefined
    const finish = () => {
      if (done) return
      done = true
      unsubscribe?.()
      cancelRead?.()
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
      // After the current task (on one immediate shared by the waits that task began; a timer each
      // on workerd), the signal is read and a timer set for the rest of `ms`: a wait that ends
      // sooner (a short /runsync) makes no timer of its own. The rest is measured on the monotonic
      // clock: a wall clock set back must not lengthen it.
      const since = performance.now()
      cancelRead = afterTask(() => {
        cancelRead = undefined
        timer = startTimer(finish, ms - (performance.now() - since))
        listen(lazySignal())
      })
    } else {
      timer = startTimer(finish, ms)
      if (lazySignal) listen(lazySignal)
    }
    unsubscribe = subscribe(finish)
    if (done) unsubscribe()
  })
}

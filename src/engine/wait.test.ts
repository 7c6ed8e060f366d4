import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { waitForSignal } from './wait.ts'

/** A subscription that the test wakes by hand. */
function wakeable() {
  let wake: (() => void) | undefined
  let unsubscribed = 0
  return {
    subscribe: (callback: () => void) => {
      wake = callback
      return () => void unsubscribed++
    },
    wake: () => wake?.(),
    unsubscribed: () => unsubscribed,
  }
}

describe('waitForSignal', () => {
  beforeEach(() => void vi.useFakeTimers())
  afterEach(() => void vi.useRealTimers())

  const settled = (promise: Promise<void>) => {
    let done = false
    void promise.then(() => (done = true))
    return () => done
  }

  it('ends on a wake, on time running out, or on an abort, and always unsubscribes', async () => {
    const woken = wakeable()
    const byWake = settled(waitForSignal(woken.subscribe, 1_000))
    woken.wake()
    await vi.advanceTimersByTimeAsync(0)
    expect(byWake()).toBe(true)
    expect(woken.unsubscribed()).toBe(1)

    const timed = wakeable()
    const byTime = settled(waitForSignal(timed.subscribe, 1_000))
    await vi.advanceTimersByTimeAsync(999)
    expect(byTime()).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(byTime()).toBe(true)
    expect(timed.unsubscribed()).toBe(1)

    const aborted = wakeable()
    const controller = new AbortController()
    const byAbort = settled(waitForSignal(aborted.subscribe, 1_000, controller.signal))
    controller.abort()
    await vi.advanceTimersByTimeAsync(0)
    expect(byAbort()).toBe(true)
    expect(aborted.unsubscribed()).toBe(1)
  })

  it('never reads a lazy signal when woken within the current task', async () => {
    const woken = wakeable()
    const getSignal = vi.fn(() => new AbortController().signal)
    const done = settled(waitForSignal(woken.subscribe, 1_000, getSignal))
    woken.wake()
    await vi.advanceTimersByTimeAsync(10)
    expect(done()).toBe(true)
    expect(getSignal).not.toHaveBeenCalled()
  })

  it('reads a lazy signal after the current task, and ends when it aborts', async () => {
    const controller = new AbortController()
    const getSignal = vi.fn(() => controller.signal)
    const done = settled(waitForSignal(wakeable().subscribe, 1_000, getSignal))
    await vi.advanceTimersByTimeAsync(0)
    expect(getSignal).toHaveBeenCalledOnce()
    expect(done()).toBe(false)
    controller.abort()
    await vi.advanceTimersByTimeAsync(0)
    expect(done()).toBe(true)
  })

  it('ends at once when a lazy signal turns out to be aborted already (the client left early)', async () => {
    const controller = new AbortController()
    controller.abort()
    const done = settled(waitForSignal(wakeable().subscribe, 1_000, () => controller.signal))
    await vi.advanceTimersByTimeAsync(0)
    expect(done()).toBe(true)
  })

  it('with a lazy signal, keeps one timer at a time and still ends when ms has passed, counted from the start', async () => {
    const timed = wakeable()
    const done = settled(waitForSignal(timed.subscribe, 1_000, () => new AbortController().signal))
    expect(vi.getTimerCount()).toBe(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(vi.getTimerCount()).toBe(1)
    await vi.advanceTimersByTimeAsync(998)
    expect(done()).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(done()).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
    expect(timed.unsubscribed()).toBe(1)
  })

  it('reads the lazy signals of the waits one task began on one timer, then times each on its own', async () => {
    const reads = vi.fn(() => new AbortController().signal)
    const waits = Array.from({ length: 10 }, () => wakeable())
    const done = waits.map((wait) => settled(waitForSignal(wait.subscribe, 1_000, reads)))
    expect(vi.getTimerCount()).toBe(1)
    // Two end within the task: the other eight read their signal after it.
    waits[0]!.wake()
    waits[1]!.wake()
    await vi.advanceTimersByTimeAsync(0)
    expect(reads).toHaveBeenCalledTimes(8)
    expect(vi.getTimerCount()).toBe(8)
    await vi.advanceTimersByTimeAsync(1_000)
    expect(done.every((isDone) => isDone())).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('leaves no timer behind when woken, whether before or after the signal was read', async () => {
    const early = wakeable()
    void waitForSignal(early.subscribe, 1_000, () => new AbortController().signal)
    early.wake()
    expect(vi.getTimerCount()).toBe(0)
    const late = wakeable()
    void waitForSignal(late.subscribe, 1_000, () => new AbortController().signal)
    await vi.advanceTimersByTimeAsync(5)
    late.wake()
    expect(vi.getTimerCount()).toBe(0)
  })
})

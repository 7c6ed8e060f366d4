import { afterEach, describe, expect, it, vi } from 'vitest'
import { cancelImmediate, cancelTimer, startImmediate, startTimer } from './timers.ts'

describe('startTimer', () => {
  afterEach(() => void vi.restoreAllMocks())

  it('sets a time already past as 0 ms (Bun warns at a negative one) and one past 2^31-1 ms as that', () => {
    const delays: (number | undefined)[] = []
    const real = globalThis.setTimeout
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: () => void, ms?: number) => {
      delays.push(ms)
      return real(callback, 0)
    }) as typeof setTimeout)
    for (const ms of [-2, 0, 250, 2 ** 40]) cancelTimer(startTimer(() => {}, ms))
    expect(delays).toEqual([0, 0, 250, 2_147_483_647])
  })

  it('fires once at its time unless cancelled, and does not hold the process open', async () => {
    vi.useFakeTimers()
    try {
      const fired: string[] = []
      const handle = startTimer(() => fired.push('a'), 100)
      cancelTimer(startTimer(() => fired.push('cancelled'), 50))
      cancelTimer(undefined)
      await vi.advanceTimersByTimeAsync(100)
      expect(fired).toEqual(['a'])
      expect((handle as { hasRef?: () => boolean }).hasRef?.()).toBe(false)
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('startImmediate', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
    vi.restoreAllMocks()
  })

  it('runs the callback after the current task with setImmediate, and not once cancelled', async () => {
    const immediate = vi.spyOn(globalThis, 'setImmediate')
    const timeout = vi.spyOn(globalThis, 'setTimeout')
    const ran: string[] = []
    startImmediate(() => ran.push('a'))
    cancelImmediate(startImmediate(() => ran.push('cancelled')))
    cancelImmediate(undefined)
    await Promise.resolve()
    expect(ran).toEqual([])
    await new Promise((resolve) => setImmediate(resolve))
    expect(ran).toEqual(['a'])
    expect(immediate).toHaveBeenCalledTimes(3)
    expect(timeout).not.toHaveBeenCalled()
  })

  it('falls back on a 0-ms timer where the runtime has no setImmediate (workerd, browsers)', async () => {
    vi.useFakeTimers()
    try {
      vi.stubGlobal('setImmediate', undefined)
      vi.stubGlobal('clearImmediate', undefined)
      const ran: string[] = []
      startImmediate(() => ran.push('a'))
      cancelImmediate(startImmediate(() => ran.push('cancelled')))
      expect(vi.getTimerCount()).toBe(1)
      await Promise.resolve()
      expect(ran).toEqual([])
      await vi.advanceTimersByTimeAsync(0)
      expect(ran).toEqual(['a'])
    } finally {
      // The stubs first: they put back the fake timers' functions, which useRealTimers then replaces.
      vi.unstubAllGlobals()
      vi.useRealTimers()
    }
  })
})

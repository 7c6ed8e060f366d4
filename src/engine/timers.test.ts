import { afterEach, describe, expect, it, vi } from 'vitest'
import { cancelTimer, startTimer } from './timers.ts'

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

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { afterTask } from './after-task.ts'

describe('afterTask', () => {
  beforeEach(() => void vi.useFakeTimers())
  afterEach(() => {
    vi.useRealTimers()
    vi.unstubAllGlobals()
    vi.restoreAllMocks()
  })

  it('runs the callbacks asked for in one task after it, in order, on one immediate', async () => {
    const ran: number[] = []
    for (let k = 0; k < 5; k++) afterTask(() => ran.push(k))
    expect(vi.getTimerCount()).toBe(1)
    expect(ran).toEqual([])
    await vi.advanceTimersByTimeAsync(0)
    expect(ran).toEqual([0, 1, 2, 3, 4])
    expect(vi.getTimerCount()).toBe(0)
  })

  it('skips a cancelled callback, and clears the immediate once none is left', async () => {
    const ran: string[] = []
    const cancelA = afterTask(() => ran.push('a'))
    const cancelB = afterTask(() => ran.push('b'))
    cancelA()
    expect(vi.getTimerCount()).toBe(1)
    cancelB()
    expect(vi.getTimerCount()).toBe(0)
    afterTask(() => ran.push('c'))
    const cancelD = afterTask(() => ran.push('d'))
    cancelD()
    await vi.advanceTimersByTimeAsync(0)
    expect(ran).toEqual(['c'])
    // Cancelling after it ran changes nothing.
    cancelD()
    cancelA()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('puts a callback asked for while the others run on an immediate of its own, after them', async () => {
    const ran: string[] = []
    afterTask(() => {
      ran.push('first')
      afterTask(() => ran.push('next task'))
    })
    afterTask(() => ran.push('second'))
    await vi.advanceTimersByTimeAsync(0)
    expect(ran).toEqual(['first', 'second'])
    expect(vi.getTimerCount()).toBe(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(ran).toEqual(['first', 'second', 'next task'])
  })

  it('runs the others when one throws, and reports its error after them', async () => {
    const reported: (() => void)[] = []
    vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((callback) => void reported.push(callback))
    const ran: string[] = []
    afterTask(() => {
      throw new Error('boom')
    })
    afterTask(() => ran.push('after'))
    await vi.advanceTimersByTimeAsync(0)
    expect(ran).toEqual(['after'])
    expect(reported).toHaveLength(1)
    expect(() => reported[0]!()).toThrow('boom')
  })

  it('gives each callback a timer of its own on workerd, where a timer dies with its request', async () => {
    vi.stubGlobal('navigator', { userAgent: 'Cloudflare-Workers' })
    const ran: number[] = []
    afterTask(() => ran.push(1))
    const cancel = afterTask(() => ran.push(2))
    afterTask(() => ran.push(3))
    expect(vi.getTimerCount()).toBe(3)
    cancel()
    expect(vi.getTimerCount()).toBe(2)
    await vi.advanceTimersByTimeAsync(0)
    expect(ran).toEqual([1, 3])
  })
})

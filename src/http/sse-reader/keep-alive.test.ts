import { afterEach, describe, expect, it, vi } from 'vitest'
import { KeepAlive } from './keep-alive.ts'

afterEach(() => {
  vi.useRealTimers()
})

describe('KeepAlive', () => {
  it('is due after exactly the interval of quiet, and wakes the wait at that moment', async () => {
    vi.useFakeTimers()
    const keepAlive = new KeepAlive(1_000)
    const wake = vi.fn()
    keepAlive.onDue(wake)
    await vi.advanceTimersByTimeAsync(999)
    expect(keepAlive.due).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(keepAlive.due).toBe(true)
    expect(wake).toHaveBeenCalledTimes(1)
    keepAlive.stop()
  })

  it('counts the quiet from the last thing sent, with one timer', async () => {
    vi.useFakeTimers()
    const keepAlive = new KeepAlive(1_000)
    await vi.advanceTimersByTimeAsync(600)
    keepAlive.sent()
    await vi.advanceTimersByTimeAsync(900)
    expect(keepAlive.due).toBe(false)
    expect(vi.getTimerCount()).toBe(1)
    await vi.advanceTimersByTimeAsync(700)
    expect(keepAlive.due).toBe(true)
    keepAlive.sent()
    expect(keepAlive.due).toBe(false)
    keepAlive.stop()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('wakes nobody once the wait let go of it', async () => {
    vi.useFakeTimers()
    const keepAlive = new KeepAlive(100)
    const wake = vi.fn()
    keepAlive.onDue(wake)
    keepAlive.onDue(undefined)
    await vi.advanceTimersByTimeAsync(100)
    expect(wake).not.toHaveBeenCalled()
    keepAlive.stop()
  })
})

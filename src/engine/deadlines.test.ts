/**
 * Many deadlines on one timer, on fake timers: each fires once, at its time, in order; moved and
 * cleared ones as they now stand; and thousands of random operations, at random times or in the
 * runs of a few fixed delays, agree with a plain list.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Deadlines } from './deadlines.ts'

beforeEach(() => {
  vi.useFakeTimers({ now: 0 })
})
afterEach(() => {
  vi.useRealTimers()
})

/** Deadlines that record what fired, as `key@time:value`. */
function recorded() {
  const fired: string[] = []
  const deadlines = new Deadlines<string, string>((key, value) => fired.push(`${key}@${Date.now()}:${value}`))
  return { deadlines, fired }
}

describe('deadlines', () => {
  it('fires each once at its time, in order, whatever order they were set in, on one timer', () => {
    const { deadlines, fired } = recorded()
    deadlines.set('c', 300, 'x')
    deadlines.set('a', 100, 'y')
    deadlines.set('b', 200, 'z')
    expect([deadlines.size, deadlines.next(), vi.getTimerCount()]).toEqual([3, 100, 1])
    vi.advanceTimersByTime(99)
    expect(fired).toEqual([])
    vi.advanceTimersByTime(1)
    expect(fired).toEqual(['a@100:y'])
    vi.advanceTimersByTime(1_000)
    expect(fired).toEqual(['a@100:y', 'b@200:z', 'c@300:x'])
    expect([deadlines.size, deadlines.next(), vi.getTimerCount()]).toEqual([0, undefined, 0])
  })

  it('fires a moved deadline at its new time with its new value, and a cleared one never', () => {
    const { deadlines, fired } = recorded()
    deadlines.set('a', 100, 'first')
    deadlines.set('b', 150, 'b')
    deadlines.set('a', 500, 'moved later')
    deadlines.set('c', 120, 'c')
    deadlines.delete('c')
    deadlines.set('b', 50, 'moved sooner')
    vi.advanceTimersByTime(1_000)
    expect(fired).toEqual(['b@50:moved sooner', 'a@500:moved later'])
  })

  it('keeps the timer for the deadlines after one whose firing threw', () => {
    const deadlines = new Deadlines<string, string>((key) => {
      if (key === 'a') throw new Error('boom')
    })
    deadlines.set('a', 10, '')
    deadlines.set('b', 20, '')
    expect(() => vi.advanceTimersByTime(10)).toThrow('boom')
    expect([deadlines.size, vi.getTimerCount()]).toEqual([1, 1])
  })

  it('gives each deadline a timer of its own where timers die with their request (workerd), firing the same', () => {
    const fired: string[] = []
    const deadlines = new Deadlines<string, string>((key, value) => fired.push(`${key}@${Date.now()}:${value}`), true)
    deadlines.set('b', 200, 'z')
    deadlines.set('a', 100, 'y')
    deadlines.set('c', 300, 'x')
    deadlines.delete('c')
    deadlines.set('b', 250, 'moved')
    expect([vi.getTimerCount(), deadlines.next()]).toEqual([2, 100])
    vi.advanceTimersByTime(1_000)
    expect(fired).toEqual(['a@100:y', 'b@250:moved'])
    expect([deadlines.size, vi.getTimerCount()]).toEqual([0, 0])
  })

  it('there, fires the deadlines whose time has passed at the next set, when their timers died with their request', () => {
    const fired: string[] = []
    const deadlines = new Deadlines<string, string>((key) => fired.push(key), true)
    deadlines.set('a', 100, '')
    deadlines.set('b', 150, '')
    // Their request ended: workerd drops its timers.
    vi.clearAllTimers()
    vi.setSystemTime(200)
    deadlines.set('c', 500, '')
    expect(fired).toEqual(['a', 'b'])
    expect(deadlines.size).toBe(1)
  })

  /**
   * How a random step picks a deadline: anywhere, or mostly by a few fixed delays, as a worker's
   * kinds of deadline come (each kind in order, so they fill the runs; the rest go to the heap).
   */
  const delays = {
    'random times': (random: (n: number) => number) => 1 + random(500),
    'a few fixed delays': (random: (n: number) => number) => (random(8) === 0 ? 1 + random(500) : [50, 120, 300, 301, 450, 499][random(6)]!),
  }

  it.each(Object.keys(delays))('agrees with a plain list over thousands of random sets, moves and clears (%s)', (kind) => {
    const delay = delays[kind as keyof typeof delays]
    const { deadlines, fired } = recorded()
    const model = new Map<string, { at: number; value: string }>()
    let seed = 7
    const random = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n)
    const expected: string[] = []
    for (let step = 0; step < 2_000; step++) {
      const key = `k${random(kind === 'random times' ? 60 : 400)}`
      if (random(4) === 0) {
        deadlines.delete(key)
        model.delete(key)
      } else {
        const at = Date.now() + delay(random)
        deadlines.set(key, at, `v${step}`)
        model.set(key, { at, value: `v${step}` })
      }
      if (random(10) === 0) {
        const until = Date.now() + random(200)
        const due = [...model].filter(([, d]) => d.at <= until).sort((x, y) => x[1].at - y[1].at)
        for (const [key, d] of due) {
          expected.push(`${key}@${d.at}:${d.value}`)
          model.delete(key)
        }
        vi.advanceTimersByTime(until - Date.now())
        expect(fired.map((text) => text.replace(/@\d+:/, ':')).sort()).toEqual(expected.map((text) => text.replace(/@\d+:/, ':')).sort())
        // Each fired at its own time.
        expect(fired.every((text) => expected.includes(text))).toBe(true)
      }
      expect(deadlines.size).toBe(model.size)
      expect(deadlines.next()).toBe(model.size === 0 ? undefined : Math.min(...[...model.values()].map((d) => d.at)))
    }
  })
})

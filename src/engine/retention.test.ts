/**
 * Retention as RunPod's: a `/run` (or `POST /stream`) job's result is kept 30 minutes after its
 * end, a `/runsync` one 1 minute, both configurable and never past the job's ttl; a job that ended
 * past its ttl is kept a moment after its end. Through the worker's routes, on fake timers.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { start } from '../serverless.ts'
import { retainedUntil } from '../store/job-state.ts'

afterEach(() => {
  vi.useRealTimers()
})

const post = (worker: ReturnType<typeof start>, path: string, body: unknown) =>
  worker.fetch(new Request(`http://x${path}`, { method: 'POST', body: JSON.stringify(body) }))
const statusCode = async (worker: ReturnType<typeof start>, id: string) => (await worker.fetch(new Request(`http://x/status/${id}`))).status

describe('retention', () => {
  it('keeps a /run result 30 min after its end and a /runsync one 1 min, by default', async () => {
    vi.useFakeTimers()
    const worker = start({ handler: () => 'done' })
    const { id: run } = await (await post(worker, '/run', { input: {} })).json()
    const { id: sync } = await (await post(worker, '/runsync', { input: {} })).json()
    await vi.advanceTimersByTimeAsync(59_000)
    expect([await statusCode(worker, run), await statusCode(worker, sync)]).toEqual([200, 200])
    await vi.advanceTimersByTimeAsync(2_000)
    expect([await statusCode(worker, run), await statusCode(worker, sync)]).toEqual([200, 404])
    await vi.advanceTimersByTimeAsync(30 * 60_000 - 61_000 - 1_000)
    expect(await statusCode(worker, run)).toBe(200)
    await vi.advanceTimersByTimeAsync(2_000)
    expect(await statusCode(worker, run)).toBe(404)
  })

  it('takes other durations, and never keeps a result past its ttl', async () => {
    vi.useFakeTimers()
    const worker = start({ handler: () => 'done', resultRetention: 5_000, syncResultRetention: 2_000 })
    const { id: run } = await (await post(worker, '/run', { input: {} })).json()
    const { id: short } = await (await post(worker, '/run', { input: {}, policy: { ttl: 3_000 } })).json()
    await vi.advanceTimersByTimeAsync(4_000)
    // Its ttl came before its retention ran out.
    expect([await statusCode(worker, run), await statusCode(worker, short)]).toEqual([200, 404])
    await vi.advanceTimersByTimeAsync(2_000)
    expect(await statusCode(worker, run)).toBe(404)
  })

  it('is one rule: keep after the end within the ttl, a moment after the end past it', () => {
    expect(retainedUntil(0, 1_000, 86_400_000, 1_800_000)).toBe(1_801_000)
    expect(retainedUntil(0, 1_000, 60_000, 1_800_000)).toBe(60_000)
    // Ended past its ttl: still readable the shortest of a minute, its ttl and its keep.
    expect(retainedUntil(0, 70_000, 60_000, 1_800_000)).toBe(130_000)
    expect(retainedUntil(0, 70_000, 60_000, 5_000)).toBe(75_000)
  })
})

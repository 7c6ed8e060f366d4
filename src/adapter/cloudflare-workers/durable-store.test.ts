import { describe, expect, it, vi } from 'vitest'
import { localWorker } from '../../serverless.ts'
import type { WorkerConfig } from '../../config.ts'
import type { JobRecord } from '../../engine/job-record.ts'
import type { DurableStorageLike } from './durable-store.ts'
import { DurableJobStore } from './durable-store.ts'

/** Durable Object storage in memory, counting writes as Cloudflare bills them (rows written). */
class MemoryStorage implements DurableStorageLike {
  readonly data = new Map<string, unknown>()
  puts = 0
  rowsWritten = 0
  /** Refuse the next put (a storage fault). */
  failNext = false
  async put(entries: Record<string, unknown>): Promise<void> {
    this.puts++
    if (this.failNext) {
      this.failNext = false
      throw new Error('storage refused the write')
    }
    for (const [key, value] of Object.entries(entries)) {
      // Cloudflare's limit for one value of a SQLite-backed object.
      if (JSON.stringify(value).length > 2_000_000) throw new Error(`value of ${key} is over 2 MB`)
      this.rowsWritten++
      // Storage keeps a structured clone, never the live object.
      this.data.set(key, structuredClone(value))
    }
  }
  async delete(keys: string[]): Promise<number> {
    let deleted = 0
    for (const key of keys) if (this.data.delete(key)) deleted++
    return deleted
  }
  async list<T>(options: { prefix: string }): Promise<Map<string, T>> {
    const found = [...this.data].filter(([key]) => key.startsWith(options.prefix)).sort(([a], [b]) => (a < b ? -1 : 1))
    return new Map(found as Array<[string, T]>)
  }
  async getAlarm(): Promise<number | null> {
    return null
  }
  async setAlarm(): Promise<void> {}
}

const ended = (worker: ReturnType<typeof localWorker>, record: JobRecord) => new Promise<void>((resolve) => worker.engine.onEnd(record, resolve))

/** A worker on `storage`, restored from it as an object that starts again would be. */
async function objectOn(storage: MemoryStorage, config: WorkerConfig, env?: unknown) {
  const store = new DurableJobStore(storage, 5)
  const worker = localWorker(config, store)
  const { snapshots, eventsOf } = await store.load()
  worker.engine.restore(snapshots, eventsOf, env)
  return { worker, store }
}

describe('DurableJobStore', () => {
  it('writes a job and its log in batches, not one write per yield', async () => {
    const storage = new MemoryStorage()
    const { worker, store } = await objectOn(storage, {
      handler: function* () {
        for (let i = 0; i < 1000; i++) yield { i, token: 'word' }
      },
      returnAggregateStream: true,
    })
    const record = worker.engine.submit({ input: {} })
    await ended(worker, record)
    await store.flush()
    // 1002 events (1000 outputs, done) in a handful of rows, with the job's row.
    expect(storage.rowsWritten).toBeLessThan(10)
    const again = await objectOn(storage, { handler: () => 1, returnAggregateStream: true })
    const restored = again.worker.engine.get(record.id)!
    expect(again.worker.engine.status(restored)).toEqual(worker.engine.status(record))
    expect(restored.log.after(0).map((e) => e.seq)).toEqual(record.log.after(0).map((e) => e.seq))
  })

  it('restores a job that was running as FAILED with what it had streamed, ready to /retry', async () => {
    const storage = new MemoryStorage()
    let release!: () => void
    const stuck = new Promise<void>((resolve) => (release = resolve))
    const first = await objectOn(storage, {
      handler: async function* () {
        yield 'one'
        yield 'two'
        await stuck
      },
      returnAggregateStream: true,
    })
    const record = first.worker.engine.submit({ input: { n: 1 } })
    await expect.poll(() => record.log.lastSeq).toBe(2)
    await first.store.flush()
    // The object restarts: a new engine on the same storage.
    const second = await objectOn(storage, { handler: async () => 'again', returnAggregateStream: true })
    const restored = second.worker.engine.get(record.id)!
    expect(second.worker.engine.status(restored)).toMatchObject({
      status: 'FAILED',
      output: ['one', 'two'],
      errorDetail: { type: 'RestartError', code: 'restarted' },
    })
    expect(restored.log.after(0).map((e) => [e.seq, e.type])).toEqual([
      [1, 'output'],
      [2, 'output'],
      [3, 'done'],
    ])
    second.worker.engine.retry(restored)
    await ended(second.worker, restored)
    expect(second.worker.engine.status(restored)).toMatchObject({ status: 'COMPLETED', output: 'again' })
    release()
  })

  it('queues restored queued jobs again, in their order', async () => {
    const storage = new MemoryStorage()
    const first = await objectOn(storage, { handler: () => new Promise(() => {}), concurrencyModifier: 1 })
    first.worker.engine.submit({ input: 'running' })
    const queued = [first.worker.engine.submit({ input: 'a' }), first.worker.engine.submit({ input: 'b' })]
    await first.store.flush()
    const order: string[] = []
    const second = await objectOn(storage, { handler: (job) => order.push(job.input), concurrencyModifier: 1 })
    await Promise.all(queued.map((q) => ended(second.worker, second.worker.engine.get(q.id)!)))
    expect(order).toEqual(['a', 'b'])
  })

  it('deletes an expired job from storage, with every row of its log', async () => {
    const storage = new MemoryStorage()
    const { worker, store } = await objectOn(storage, { handler: function* () { yield 1 } })
    const record = worker.engine.submit({ input: {}, policy: { ttl: 20 } })
    await expect.poll(() => worker.engine.get(record.id)).toBeUndefined()
    await store.flush()
    expect([...storage.data.keys()].filter((key) => key.includes(record.id))).toEqual([])
  })

  it('keeps a large input in chunks apart from the job row, and restores it whole', async () => {
    const storage = new MemoryStorage()
    const input = { prompt: 'p'.repeat(3_000_000) }
    const first = await objectOn(storage, { handler: () => new Promise(() => {}), concurrencyModifier: 1 })
    first.worker.engine.submit({ input: 'running' })
    const big = first.worker.engine.submit({ input })
    await first.store.flush()
    const second = await objectOn(storage, { handler: (job) => job.input.prompt.length, concurrencyModifier: 1 })
    const restored = second.worker.engine.get(big.id)!
    await ended(second.worker, restored)
    expect(second.worker.engine.status(restored)).toMatchObject({ status: 'COMPLETED', output: 3_000_000 })
  })

  it('goes on storing after a write fails', async () => {
    const storage = new MemoryStorage()
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const { worker, store } = await objectOn(storage, { handler: () => 'ok' })
    storage.failNext = true
    const lost = worker.engine.submit({ input: 1 })
    await store.flush()
    const kept = worker.engine.submit({ input: 2 })
    await ended(worker, kept)
    await store.flush()
    expect(storage.data.has(`job:${kept.id}`)).toBe(true)
    expect(error).toHaveBeenCalledWith(expect.stringContaining('storage failed'), expect.any(Error))
    expect(lost.status).toBe('COMPLETED')
    error.mockRestore()
  })

  it('restores the env, and deletes a job that was running at the restart once its ttl passes', async () => {
    const storage = new MemoryStorage()
    const first = await objectOn(storage, { handler: () => new Promise(() => {}), concurrencyModifier: 1 }, { GREETING: 'hi' })
    const running = first.worker.engine.submit({ input: 1, policy: { ttl: 200 } })
    const queued = first.worker.engine.submit({ input: 2 })
    await first.store.flush()
    const second = await objectOn(storage, { handler: (job) => job.env.GREETING }, { GREETING: 'hi' })
    await ended(second.worker, second.worker.engine.get(queued.id)!)
    expect(second.worker.engine.status(second.worker.engine.get(queued.id)!).output).toBe('hi')
    expect(second.worker.engine.nextDeadline()! - Date.now()).toBeGreaterThan(0)
    await expect.poll(() => second.worker.engine.get(running.id), { timeout: 3_000 }).toBeUndefined()
    await second.store.flush()
    expect([...storage.data.keys()].filter((key) => key.includes(running.id))).toEqual([])
  })
})

import { describe, expect, it } from 'vitest'
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
  async put(entries: Record<string, unknown>): Promise<void> {
    this.puts++
    for (const [key, value] of Object.entries(entries)) {
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
async function objectOn(storage: MemoryStorage, config: WorkerConfig) {
  const store = new DurableJobStore(storage, 5)
  const worker = localWorker(config, store)
  const { snapshots, eventsOf } = await store.load()
  worker.engine.restore(snapshots, eventsOf)
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
})

import { describe, expect, it, vi } from 'vitest'
import { workerOf } from '../../serverless.ts'
import type { Worker } from '../../serverless.ts'
import type { WorkerConfig } from '../../config.ts'
import { MemoryStorage } from '../../../test/helpers/durable-objects-in-memory.ts'
import { DurableStore } from './durable-store.ts'
import { describeStoreContract } from '../../../test/store-contract.ts'
import { eventsOf } from '../../store/store.ts'
import type { Lease } from '../../store/job-state.ts'


/** Resolves when the job's current attempt has ended (at once if it has, or the job is gone). */
const ended = (worker: Worker, id: string) => new Promise<void>((resolve) => worker.engine.store.jobs.watchEnd(id, resolve))

/** A worker on `storage`, restored from it as an object that starts again would be. */
async function objectOn(storage: MemoryStorage, config: WorkerConfig, env?: unknown) {
  const store = new DurableStore(storage)
  const worker = workerOf({ ...config, store })
  await worker.engine.restore(await store.load(), env)
  return { worker, store }
}

describe('DurableStore', () => {
  it('writes a job and its log in batches, not one write per yield', async () => {
    const storage = new MemoryStorage()
    const { worker, store } = await objectOn(storage, {
      handler: function* () {
        for (let i = 0; i < 1000; i++) yield { i, token: 'word' }
      },
      returnAggregateStream: true,
    })
    const job = await worker.engine.submit({ input: {} })
    await ended(worker, job.id)
    await store.flush()
    // 1002 events (1000 outputs, done) in a handful of rows, with the job's row.
    expect(storage.rowsWritten).toBeLessThan(10)
    const again = await objectOn(storage, { handler: () => 1, returnAggregateStream: true })
    const restored = (await again.worker.engine.get(job.id))!
    expect(await again.worker.engine.status(restored)).toEqual(await worker.engine.status(job))
    expect(eventsOf(again.store.jobs.read(job.id, 0)).map((e) => e.seq)).toEqual(eventsOf(store.jobs.read(job.id, 0)).map((e) => e.seq))
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
    const job = await first.worker.engine.submit({ input: { n: 1 } })
    await expect.poll(() => job.attempt.lastSeq).toBe(2)
    await first.store.flush()
    // The object restarts: a new engine on the same storage.
    const second = await objectOn(storage, { handler: async () => 'again', returnAggregateStream: true })
    const restored = (await second.worker.engine.get(job.id))!
    expect(await second.worker.engine.status(restored)).toMatchObject({
      status: 'FAILED',
      output: ['one', 'two'],
      errorDetail: { type: 'RestartError', code: 'restarted' },
    })
    expect(eventsOf(second.store.jobs.read(job.id, 0)).map((e) => [e.seq, e.type])).toEqual([
      [1, 'output'],
      [2, 'output'],
      [3, 'done'],
    ])
    await second.worker.engine.retry(restored.id)
    await ended(second.worker, restored.id)
    expect(await second.worker.engine.status(restored)).toMatchObject({ status: 'COMPLETED', output: 'again' })
    release()
  })

  it('queues restored queued jobs again, in their order', async () => {
    const storage = new MemoryStorage()
    const first = await objectOn(storage, { handler: () => new Promise(() => {}), concurrencyModifier: 1 })
    await first.worker.engine.submit({ input: 'running' })
    const queued = [await first.worker.engine.submit({ input: 'a' }), await first.worker.engine.submit({ input: 'b' })]
    await first.store.flush()
    const order: string[] = []
    const second = await objectOn(storage, { handler: (job) => order.push(job.input), concurrencyModifier: 1 })
    await Promise.all(queued.map((q) => ended(second.worker, q.id)))
    expect(order).toEqual(['a', 'b'])
  })

  it('deletes an expired job from storage, with every row of its log', async () => {
    const storage = new MemoryStorage()
    const { worker, store } = await objectOn(storage, {
      handler: function* () {
        yield 1
      },
    })
    const job = await worker.engine.submit({ input: {}, policy: { ttl: 20 } })
    await expect.poll(() => worker.engine.get(job.id)).toBeUndefined()
    await store.flush()
    expect([...storage.data.keys()].filter((key) => key.includes(job.id))).toEqual([])
  })

  it('keeps a large input in chunks apart from the job row, and restores it whole', async () => {
    const storage = new MemoryStorage()
    const input = { prompt: 'p'.repeat(3_000_000) }
    const first = await objectOn(storage, { handler: () => new Promise(() => {}), concurrencyModifier: 1 })
    await first.worker.engine.submit({ input: 'running' })
    const big = await first.worker.engine.submit({ input })
    await first.store.flush()
    const second = await objectOn(storage, { handler: (job) => job.input.prompt.length, concurrencyModifier: 1 })
    const restored = (await second.worker.engine.get(big.id))!
    await ended(second.worker, restored.id)
    expect(await second.worker.engine.status(restored)).toMatchObject({ status: 'COMPLETED', output: 3_000_000 })
  })

  it('goes on storing after a write fails', async () => {
    const storage = new MemoryStorage()
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const { worker, store } = await objectOn(storage, { handler: () => 'ok' })
    storage.failNext = true
    const lost = await worker.engine.submit({ input: 1 })
    await store.flush()
    const kept = await worker.engine.submit({ input: 2 })
    await ended(worker, kept.id)
    await store.flush()
    expect(storage.data.has(`job:${kept.id}`)).toBe(true)
    expect(error).toHaveBeenCalledWith(expect.stringContaining('storage failed'), expect.any(Error))
    expect(lost.attempt.status).toBe('COMPLETED')
    error.mockRestore()
  })

  it('restores the env, and deletes a job that was running at the restart once its ttl passes', async () => {
    const storage = new MemoryStorage()
    const first = await objectOn(storage, { handler: () => new Promise(() => {}), concurrencyModifier: 1 }, { GREETING: 'hi' })
    const running = await first.worker.engine.submit({ input: 1, policy: { ttl: 200 } })
    const queued = await first.worker.engine.submit({ input: 2 })
    await first.store.flush()
    const second = await objectOn(storage, { handler: (job) => job.env.GREETING }, { GREETING: 'hi' })
    await ended(second.worker, queued.id)
    expect((await second.worker.engine.status((await second.worker.engine.get(queued.id))!)).output).toBe('hi')
    expect(second.worker.engine.nextDeadline()! - Date.now()).toBeGreaterThan(0)
    await expect.poll(() => second.worker.engine.get(running.id), { timeout: 3_000 }).toBeUndefined()
    await second.store.flush()
    expect([...storage.data.keys()].filter((key) => key.includes(running.id))).toEqual([])
  })

  it('reads back, after a restart, the done event of a job that ended before it: same seq, same JSON', async () => {
    const storage = new MemoryStorage()
    const store = new DurableStore(storage)
    const id = 'job-1'
    await store.jobs.create({ id, request: { input: { n: 1 } }, origin: 'run', queuedAt: Date.now(), ttl: 60_000, executionTimeout: 60_000, keep: 60_000 })
    store.dispatcher.enqueue({ id, attempt: 1, lowPriority: false }, Infinity)
    const [lease] = store.dispatcher.claim(1) as Lease[]
    const writer = store.jobs.start(lease!, 'worker-1', Date.now())!
    expect(writer.append({ types: ['output', 'progress', 'output'], jsons: ['"a"', '{"pct":50}', '"b"'] })).toBe(true)
    expect(writer.finish({ status: 'COMPLETED', finishedAt: Date.now() })).toBeDefined()
    // Nothing is written yet (the end of the task writes it) until a reader reads: its read makes
    // the put first, so that nothing it is shown can be lost.
    expect(storage.data.size).toBe(0)
    const done = eventsOf(store.jobs.read(id, 0)).at(-1)!
    expect(done.type).toBe('done')
    expect([...storage.data.keys()].filter((key) => key.startsWith('log:'))).toEqual([`log:${id}:000000000001`])
    await store.flush()
    // The object restarts: a new store on the same storage.
    const again = new DurableStore(storage)
    const loaded = await again.load()
    expect(loaded.map((job) => [job.id, job.attempt.status, job.attempt.lastSeq])).toEqual([[id, 'COMPLETED', done.seq]])
    const read = again.jobs.read(id, done.seq - 1)!
    expect(read.ended).toBe(true)
    expect(eventsOf(read)).toEqual([{ seq: done.seq, type: 'done', json: done.json }])
  })

  it('reads back, after a restart, the log events of a job: in /status?logs=1 and its event stream, same seqs', async () => {
    const storage = new MemoryStorage()
    const first = await objectOn(storage, {
      handler: async function* (job) {
        job.log('loading, step 1')
        yield 'a'
        job.log('stuck', 'warn')
        await new Promise(() => {})
      },
    })
    const job = await first.worker.engine.submit({ input: {} })
    await expect.poll(() => job.attempt.lastSeq).toBe(3)
    const before = await (await first.worker.fetch(new Request(`http://x/status/${job.id}?logs=1`))).json()
    await first.store.flush()
    // The object restarts: a new engine on the same storage.
    const second = await objectOn(storage, { handler: () => 'again' })
    const after = await (await second.worker.fetch(new Request(`http://x/status/${job.id}?logs=1`))).json()
    expect(after.logs).toEqual(before.logs)
    expect(after.logs).toEqual([
      { message: 'loading, step 1', level: 'info', time: expect.any(Number), seq: 1 },
      { message: 'stuck', level: 'warn', time: expect.any(Number), seq: 3 },
    ])
    expect(eventsOf(second.store.jobs.read(job.id, 0)).map((e) => e.type)).toEqual(['log', 'output', 'log', 'done'])
  })

  it('still shows in /status, after a restart, the progress a job reported before it', async () => {
    const storage = new MemoryStorage()
    const first = await objectOn(storage, {
      handler: async (job) => {
        job.progress({ pct: 40, stage: 'loading' })
        await new Promise(() => {})
      },
    })
    const job = await first.worker.engine.submit({ input: {} })
    await expect.poll(() => job.attempt.progressJson).toBe('{"pct":40,"stage":"loading"}')
    await first.store.flush()
    // The object restarts: a new engine on the same storage.
    const second = await objectOn(storage, { handler: () => 'again' })
    const response = await second.worker.fetch(new Request(`http://x/status/${job.id}`))
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({
      id: job.id,
      status: 'FAILED',
      errorDetail: { type: 'RestartError', code: 'restarted' },
      progress: { pct: 40, stage: 'loading' },
    })
  })
})

describeStoreContract('the Durable Object store', () => {
  const storage = new MemoryStorage()
  const store = new DurableStore(storage)
  // Every write of the contract reaches storage without a failure.
  return { store, close: () => store.flush() }
})

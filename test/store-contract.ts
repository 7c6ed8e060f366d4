/**
 * The contract every store must keep (src/store/store.ts), as one suite: the in-memory store runs
 * it beside its own file, and every other store (Durable Objects, Redis) runs the same suite on
 * itself. It speaks only the interface, and awaits every answer, so that a store answering at once
 * and one answering with promises are held to the same rules.
 */
import { describe, expect, it } from 'vitest'
import type { Store } from '../src/store/store.ts'
import { eventsOf } from '../src/store/store.ts'
import type { Ending, EventBatch, Lease } from '../src/store/job-state.ts'
import { isWorkerError } from '../src/errors.ts'

/** What a contract run needs: a fresh, empty store each time, and what to do with it after. */
export interface StoreUnderTest {
  store: Store
  close?: () => Promise<void> | void
}

const outputs = (...jsons: string[]): EventBatch => ({ types: jsons.map(() => 'output' as const), jsons })
const ending = (status: Ending['status'], extra: Partial<Ending> = {}): Ending => ({ status, finishedAt: Date.now(), ...extra })
const ticks = () => new Promise((resolve) => setTimeout(resolve, 0))

/** Runs the store contract against stores made by `make`. */
export function describeStoreContract(name: string, make: () => Promise<StoreUnderTest> | StoreUnderTest): void {
  describe(`the store contract, on ${name}`, () => {
    /** A fresh store, given to `test`, closed after it. */
    const withStore = (test: (store: Store) => Promise<void>) => async () => {
      const made = await make()
      try {
        await test(made.store)
      } finally {
        await made.close?.()
      }
    }

    let counter = 0
    /** Creates a job and queues it; resolves to its id. */
    async function queued(store: Store, options: { lowPriority?: boolean; input?: unknown } = {}): Promise<string> {
      const id = `job-${++counter}-${Math.random().toString(36).slice(2)}`
      await store.jobs.create({ id, request: { input: options.input ?? id }, origin: 'run', queuedAt: Date.now(), ttl: 60_000, executionTimeout: 60_000, keep: 60_000 })
      await store.dispatcher.enqueue({ id, attempt: 1, lowPriority: options.lowPriority ?? false }, Infinity)
      return id
    }

    /** Claims the next entry, which must be `id`'s, and starts it. */
    async function started(store: Store, id: string) {
      const [lease] = await store.dispatcher.claim(1)
      expect(lease, 'a claimable entry').toBeDefined()
      expect(lease!.id).toBe(id)
      const writer = await store.jobs.start(lease!, 'worker-1', Date.now())
      expect(writer, 'the claimed attempt starts').toBeDefined()
      return writer!
    }

    const logOf = async (store: Store, id: string, after = 0) => eventsOf(await store.jobs.read(id, after)).map((e) => [e.seq, e.type, e.json])

    it('creates a job queued at attempt 1 with an empty log, and answers undefined for one it never had', withStore(async (store) => {
      const id = await queued(store)
      const job = (await store.jobs.get(id))!
      expect(job).toMatchObject({ id, request: { input: id }, origin: 'run', attempt: { number: 1, status: 'IN_QUEUE', baseSeq: 0, lastSeq: 0, drainSeq: 0 } })
      expect(await store.jobs.read(id, 0)).toMatchObject({ types: [], jsons: [], lastSeq: 0, ended: false })
      expect(await store.jobs.get('no-such-job')).toBeUndefined()
      expect(await store.jobs.read('no-such-job', 0)).toBeUndefined()
    }))

    it('starts a claimed attempt once, under its lease, and no other', withStore(async (store) => {
      const id = await queued(store)
      const [lease] = await store.dispatcher.claim(5)
      const writer = await store.jobs.start(lease!, 'worker-1', 1_000)
      expect(writer?.lease).toEqual(lease)
      expect((await store.jobs.get(id))!.attempt).toMatchObject({ status: 'IN_PROGRESS', startedAt: 1_000, workerId: 'worker-1' })
      expect(await store.jobs.start(lease!, 'worker-2', 2_000)).toBeUndefined()
      expect(await store.jobs.start({ ...lease!, attempt: 2 }, 'worker-2', 2_000)).toBeUndefined()
      expect(await store.dispatcher.claim(5)).toEqual([])
    }))

    it('numbers appended events from 1 and reads them back after any seq, a bounded size at a time', withStore(async (store) => {
      const id = await queued(store)
      const writer = await started(store, id)
      expect(await writer.append(outputs('"a"', '"b"'))).toBe(true)
      expect(await writer.append({ types: ['progress', 'output'], jsons: ['{"pct":50}', '"c"'] })).toBe(true)
      expect(await logOf(store, id)).toEqual([[1, 'output', '"a"'], [2, 'output', '"b"'], [3, 'progress', '{"pct":50}'], [4, 'output', '"c"']])
      expect(await logOf(store, id, 2)).toEqual([[3, 'progress', '{"pct":50}'], [4, 'output', '"c"']])
      expect(await logOf(store, id, 4)).toEqual([])
      const bounded = await store.jobs.read(id, 0, 1)
      expect(eventsOf(bounded).map((e) => e.seq)).toEqual([1])
      expect(bounded).toMatchObject({ lastSeq: 4, ended: false })
      expect((await store.jobs.get(id))!.attempt).toMatchObject({ lastSeq: 4, progressJson: '{"pct":50}' })
      expect(await writer.outputBytesFrom(1)).toBe(8)
    }))

    it('carries log events like any other: numbered in order with the outputs, read back as written, not progress', withStore(async (store) => {
      const id = await queued(store)
      const writer = await started(store, id)
      // Commas and newlines (escaped, as JSON has them) in a message: a store that joins a batch's types or texts must not split it.
      const line = '{"message":"a, b\\nc \\"d\\"","level":"warn","time":1767225600000}'
      expect(await writer.append({ types: ['log', 'output', 'log'], jsons: [line, '"x"', '{"message":"","level":"debug","time":1}'] })).toBe(true)
      expect(await writer.append({ types: ['log'], jsons: [line] })).toBe(true)
      expect(await logOf(store, id)).toEqual([[1, 'log', line], [2, 'output', '"x"'], [3, 'log', '{"message":"","level":"debug","time":1}'], [4, 'log', line]])
      expect(JSON.parse((await logOf(store, id, 3))[0]![2] as string)).toEqual({ message: 'a, b\nc "d"', level: 'warn', time: 1767225600000 })
      expect((await store.jobs.get(id))!.attempt).toMatchObject({ lastSeq: 4, progressJson: undefined })
      expect(await writer.outputBytesFrom(0)).toBe(4)
      const done = await writer.finish(ending('COMPLETED'))
      expect(done?.attempt.status).toBe('COMPLETED')
      expect((await logOf(store, id)).map(([, type]) => type)).toEqual(['log', 'output', 'log', 'log', 'done'])
    }))

    it('reads a whole log of many appends in one read when no size bounds it, and any part of it', withStore(async (store) => {
      const id = await queued(store)
      const writer = await started(store, id)
      for (let i = 0; i < 300; i++) expect(await writer.append(outputs(String(i)))).toBe(true)
      const whole = eventsOf(await store.jobs.read(id, 0))
      expect(whole.map((e) => e.json)).toEqual(Array.from({ length: 300 }, (_, i) => String(i)))
      expect(eventsOf(await store.jobs.read(id, 250)).map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 251 + i))
      // 40 characters of JSON: "0" to "9", then "10" to "24".
      expect(eventsOf(await store.jobs.read(id, 0, 40)).map((e) => e.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1))
    }))

    it('refuses every write under a lease that is lost: the attempt ended by someone else', withStore(async (store) => {
      const id = await queued(store)
      const writer = await started(store, id)
      await writer.append(outputs('1'))
      const cancelled = await store.jobs.finish(id, 1, ending('CANCELLED', { error: { type: 'CancelledError', message: 'stop' } }))
      expect(cancelled?.attempt.status).toBe('CANCELLED')
      expect(await writer.append(outputs('2'))).toBe(false)
      expect(await writer.streaming()).toBe(false)
      expect(await writer.finish(ending('COMPLETED'))).toBeUndefined()
      expect(await logOf(store, id)).toEqual([[1, 'output', '1'], [2, 'done', expect.stringContaining('"status":"CANCELLED"')]])
      expect(await store.dispatcher.renew([writer.lease])).toEqual([writer.lease])
    }))

    it('keeps a live lease through renewal', withStore(async (store) => {
      const id = await queued(store)
      const writer = await started(store, id)
      expect(await store.dispatcher.renew([writer.lease])).toEqual([])
      expect(await writer.append(outputs('1'))).toBe(true)
    }))

    it('ends an attempt exactly once, with one done event written with its end', withStore(async (store) => {
      const id = await queued(store)
      const writer = await started(store, id)
      await writer.append(outputs('1'))
      const [first, second] = await Promise.all([
        writer.finish(ending('COMPLETED')),
        store.jobs.finish(id, 1, ending('CANCELLED', { error: { type: 'CancelledError', message: 'late' } })),
      ])
      expect([first, second].filter(Boolean)).toHaveLength(1)
      const job = (await store.jobs.get(id))!
      expect(job.attempt.status).toBe(first ? 'COMPLETED' : 'CANCELLED')
      const read = (await store.jobs.read(id, 0))!
      expect(eventsOf(read).filter((e) => e.type === 'done')).toHaveLength(1)
      expect(read).toMatchObject({ ended: true, lastSeq: 2 })
      // The done event is the status object without output, as it was when the attempt ended.
      const done = JSON.parse(eventsOf(read)[1]!.json)
      expect(done).toMatchObject({ id, status: job.attempt.status, workerId: 'worker-1' })
      expect(done).not.toHaveProperty('output')
      expect(await store.jobs.finish(id, 1, ending('FAILED'))).toBeUndefined()
    }))

    it("writes a plain handler's result as its one output, just before done, and keeps a stream's aggregate", withStore(async (store) => {
      const valueId = await queued(store)
      const value = await started(store, valueId)
      const ended = await value.finish(ending('COMPLETED', { result: '{"answer":42}' }))
      expect(ended?.attempt).toMatchObject({ kind: 'value', outputJson: '{"answer":42}' })
      expect((await logOf(store, valueId)).map(([seq, type]) => [seq, type])).toEqual([[1, 'output'], [2, 'done']])
      const streamId = await queued(store)
      const stream = await started(store, streamId)
      expect(await stream.streaming()).toBe(true)
      expect((await store.jobs.get(streamId))!.attempt.kind).toBe('stream')
      await stream.append(outputs('"a"', '"b"'))
      const folded = await stream.finish(ending('COMPLETED', { aggregateJson: '"ab"' }))
      expect(folded?.attempt).toMatchObject({ kind: 'stream', outputJson: '"ab"' })
    }))

    it('ends a queued attempt only while it is queued when asked so (a purge, a ttl), never a running one', withStore(async (store) => {
      const id = await queued(store)
      await started(store, id)
      expect(await store.jobs.finish(id, 1, ending('TIMED_OUT', { queuedOnly: true }))).toBeUndefined()
      expect((await store.jobs.get(id))!.attempt.status).toBe('IN_PROGRESS')
      const waiting = await queued(store)
      expect((await store.jobs.finish(waiting, 1, ending('TIMED_OUT', { queuedOnly: true })))?.attempt.status).toBe('TIMED_OUT')
    }))

    it('retries a FAILED attempt as a new one: same id and request, seqs going on, the old lease dead', withStore(async (store) => {
      const id = await queued(store, { input: { prompt: 'p' } })
      const first = await started(store, id)
      await first.append(outputs('1', '2'))
      await first.finish(ending('FAILED', { error: { type: 'Error', message: 'flaky' } }))
      expect(await store.jobs.retry(id, 2, Date.now())).toBeUndefined()
      const retried = await store.jobs.retry(id, 1, Date.now())
      expect(retried).toMatchObject({ id, request: { input: { prompt: 'p' } }, attempt: { number: 2, status: 'IN_QUEUE', baseSeq: 3, lastSeq: 3, drainSeq: 3 } })
      expect(retried!.attempt.error).toBeUndefined()
      // A second retry of the same attempt finds it retried already.
      expect(await store.jobs.retry(id, 1, Date.now())).toBeUndefined()
      expect(await first.append(outputs('stale'))).toBe(false)
      expect(await store.jobs.read(id, 0)).toMatchObject({ types: [], jsons: [], lastSeq: 3, ended: false })
      await store.dispatcher.enqueue({ id, attempt: 2, lowPriority: false }, Infinity)
      const second = await started(store, id)
      await second.append(outputs('3'))
      await second.finish(ending('COMPLETED'))
      expect(await logOf(store, id)).toEqual([[4, 'output', '3'], [5, 'done', expect.any(String)]])
      expect(await logOf(store, id, 1)).toEqual([[4, 'output', '3'], [5, 'done', expect.any(String)]])
      expect(await store.jobs.retry(id, 2, Date.now())).toBeUndefined()
    }))

    it('wakes a watcher when an event comes after its cursor, or the attempt ends; at once when there is news; never once it stopped', withStore(async (store) => {
      const id = await queued(store)
      const writer = await started(store, id)
      let woken = 0
      store.jobs.watch(id, 0, () => woken++)
      await ticks()
      expect(woken).toBe(0)
      await writer.append(outputs('1'))
      await expect.poll(() => woken).toBe(1)
      let atOnce = 0
      store.jobs.watch(id, 0, () => atOnce++)
      await expect.poll(() => atOnce).toBe(1)
      let stopped = 0
      const stoppedWake = () => stopped++
      store.jobs.watch(id, 1, stoppedWake)
      store.jobs.unwatch(id, stoppedWake)
      let atEnd = 0
      store.jobs.watch(id, 1, () => atEnd++)
      let ended = 0
      store.jobs.watchEnd(id, () => ended++)
      await writer.finish(ending('COMPLETED'))
      await expect.poll(() => atEnd + ended).toBe(2)
      await ticks()
      expect(stopped).toBe(0)
      expect([woken, atOnce, atEnd, ended]).toEqual([1, 1, 1, 1])
      let late = 0
      store.jobs.watchEnd(id, () => late++)
      store.jobs.watchEnd('no-such-job', () => late++)
      await expect.poll(() => late).toBe(2)
    }))

    it('delivers a cancel to the listeners of whichever process runs the job', withStore(async (store) => {
      const heard: Array<[string, number]> = []
      const stopListening = store.dispatcher.onCancel((id, attempt) => heard.push([id, attempt]))
      const id = await queued(store)
      await started(store, id)
      await store.jobs.finish(id, 1, ending('CANCELLED'))
      await store.dispatcher.deliverCancel(id, 1)
      await expect.poll(() => heard).toEqual([[id, 1]])
      stopListening()
      await store.dispatcher.deliverCancel(id, 1)
      await ticks()
      expect(heard).toHaveLength(1)
    }))

    it('queues FIFO with low priority after, claims no more than asked, and purges only what waits', withStore(async (store) => {
      const low = await queued(store, { lowPriority: true })
      const a = await queued(store)
      const b = await queued(store)
      const c = await queued(store)
      expect((await store.dispatcher.claim(2)).map((lease: Lease) => lease.id)).toEqual([a, b])
      const purged = await store.dispatcher.purge()
      expect(purged.map((entry) => entry.id).sort()).toEqual([c, low].sort())
      expect(purged.find((entry) => entry.id === low)).toMatchObject({ attempt: 1, lowPriority: true })
      expect(await store.dispatcher.claim(10)).toEqual([])
    }))

    it('refuses to queue past the limit with queue_full and a time to come back, but never a job that starts at once', withStore(async (store) => {
      await queued(store)
      await queued(store)
      const id = 'one-too-many'
      await store.jobs.create({ id, request: { input: 1 }, origin: 'run', queuedAt: Date.now(), ttl: 60_000, executionTimeout: 60_000, keep: 60_000 })
      const refusal = await (async () => store.dispatcher.enqueue({ id, attempt: 1, lowPriority: false }, 2))().catch((error: unknown) => error)
      expect(isWorkerError(refusal)).toBe(true)
      expect(refusal).toMatchObject({ code: 'queue_full', retryAfter: 1 })
      await store.dispatcher.enqueue({ id, attempt: 1, lowPriority: false }, 3)
      expect(await store.dispatcher.claim(10)).toHaveLength(3)
    }))

    it('counts jobs as they move, for /health', withStore(async (store) => {
      const local = { idle: 3, running: 1 }
      const done = await queued(store)
      const failed = await queued(store)
      await queued(store)
      expect((await store.dispatcher.health(local)).jobs).toEqual({ completed: 0, failed: 0, inProgress: 0, inQueue: 3, retried: 0 })
      const doneWriter = await started(store, done)
      const failedWriter = await started(store, failed)
      expect((await store.dispatcher.health(local)).jobs).toMatchObject({ inProgress: 2, inQueue: 1 })
      await doneWriter.finish(ending('COMPLETED'))
      await failedWriter.finish(ending('FAILED'))
      await store.jobs.retry(failed, 1, Date.now())
      const health = await store.dispatcher.health(local)
      expect(health.jobs).toEqual({ completed: 1, failed: 1, inProgress: 0, inQueue: 2, retried: 1 })
      expect(health.workers).toMatchObject({ running: expect.any(Number), idle: expect.any(Number) })
    }))

    it('keeps the drained cursor of polled reads, counts readers, and forgets a deleted job', withStore(async (store) => {
      const id = await queued(store)
      const writer = await started(store, id)
      await writer.append(outputs('1', '2'))
      await store.jobs.markDrained(id, 1, 2)
      expect((await store.jobs.get(id))!.attempt.drainSeq).toBe(2)
      await store.jobs.markDrained(id, 7, 9)
      expect((await store.jobs.get(id))!.attempt.drainSeq).toBe(2)
      expect(await store.jobs.readers(id, 1)).toBe(1)
      expect(await store.jobs.readers(id, 1)).toBe(2)
      expect(await store.jobs.readers(id, -1)).toBe(1)
      expect(await store.jobs.readers(id, 0)).toBe(1)
      await writer.finish(ending('COMPLETED'))
      await store.jobs.delete(id)
      expect(await store.jobs.get(id)).toBeUndefined()
      expect(await store.jobs.read(id, 0)).toBeUndefined()
    }))

    it('forgets a job deleted before it was queued, counts and all (a submission the queue refused)', withStore(async (store) => {
      const id = 'refused'
      await store.jobs.create({ id, request: { input: 1 }, origin: 'stream', queuedAt: Date.now(), ttl: 60_000, executionTimeout: 60_000, keep: 60_000 })
      await store.jobs.delete(id)
      expect(await store.jobs.get(id)).toBeUndefined()
      expect((await store.dispatcher.health({ idle: 1, running: 0 })).jobs.inQueue).toBe(0)
    }))
  })
}


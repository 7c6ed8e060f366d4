import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Job } from '../types.ts'
import type { JobEngine } from './engine.ts'
import type { JobState } from '../store/job-state.ts'
import { isWorkerError } from '../errors.ts'
import { statusOfCode } from '../http/http-error.ts'
import { gate } from '../../test/helpers/gate.ts'
import { engineWith, ended, logOf, outputsOf, statusNow } from '../../test/helpers/engine.ts'

const submit = (engine: JobEngine, input: unknown = {}, extra: object = {}) => engine.submit({ input, ...extra })

const parsedLog = (engine: JobEngine, record: JobState) => logOf(engine, record).events.map((e) => ({ type: e.type, data: JSON.parse(e.json) }))

afterEach(() => {
  vi.useRealTimers()
})

describe('handler kinds are told apart by what they return', () => {
  const cases: Array<[string, (job: Job) => unknown, string, unknown]> = [
    ['a sync function', () => 42, 'value', 42],
    ['an async function', async () => ({ a: 1 }), 'value', { a: 1 }],
    ['a function returning an array', () => [1, 2], 'value', [1, 2]],
    ['a function returning a string', () => 'text', 'value', 'text'],
    [
      'a sync generator',
      function* () {
        yield 1
        yield 2
      },
      'stream',
      [1, 2],
    ],
    [
      'an async generator',
      async function* () {
        yield 'a'
        yield 'b'
      },
      'stream',
      ['a', 'b'],
    ],
    [
      'a plain function returning a generator',
      () =>
        (function* () {
          yield 'x'
        })(),
      'stream',
      ['x'],
    ],
    [
      'an async function returning an async iterable',
      async () => ({
        async *[Symbol.asyncIterator]() {
          yield 1
        },
      }),
      'stream',
      [1],
    ],
    [
      'a function returning a ReadableStream of values',
      () =>
        new ReadableStream({
          start(c) {
            c.enqueue({ n: 1 })
            c.enqueue({ n: 2 })
            c.close()
          },
        }),
      'stream',
      [{ n: 1 }, { n: 2 }],
    ],
    [
      'a function returning a ReadableStream of bytes',
      () => new Response('héllo').body,
      'stream',
      ['héllo'],
    ],
  ]
  for (const [name, handler, kind, output] of cases) {
    it(`runs ${name}`, async () => {
      const engine = engineWith({ handler, returnAggregateStream: true })
      const record = await submit(engine)
      await ended(engine, record)
      expect(record.attempt.status).toBe('COMPLETED')
      expect(record.attempt.kind).toBe(kind)
      expect((await engine.status(record)).output).toEqual(output)
    })
  }

  it('runs a class instance whose method is an async generator', async () => {
    class Model {
      prefix = 'tok'
      async *run(job: Job<{ n: number }>) {
        for (let i = 0; i < job.input.n; i++) yield `${this.prefix}${i}`
      }
    }
    const model = new Model()
    const engine = engineWith({ handler: (job) => model.run(job), returnAggregateStream: true })
    const record = await submit(engine, { n: 3 })
    await ended(engine, record)
    expect((await engine.status(record)).output).toEqual(['tok0', 'tok1', 'tok2'])
  })

  it('answers [] as the output of a stream when aggregation is off (RunPod)', async () => {
    const engine = engineWith({
      handler: function* () {
        yield 1
      },
    })
    const record = await submit(engine)
    await ended(engine, record)
    expect((await engine.status(record)).output).toEqual([])
    expect(outputsOf(engine, record)).toEqual(['1'])
  })

  it('accepts the RunPod spellings of the config keys', async () => {
    const engine = engineWith({
      handler: function* () {
        yield 1
      },
      return_aggregate_stream: true,
      concurrency_modifier: 3,
    })
    const record = await submit(engine)
    await ended(engine, record)
    expect((await engine.status(record)).output).toEqual([1])
    expect((await engine.health()).workers.idle).toBe(3)
  })
})

describe('the job a handler receives', () => {
  it('carries the request as sent, a signal, progress, env and the execution context', async () => {
    let seen: Job | undefined
    const waitUntil = vi.fn()
    const hooked: string[] = []
    const engine = engineWith({
      handler: (job) => {
        seen = job
        job.progress({ step: 1 })
        return 'ok'
      },
      // The job names a webhook: deliver it here, not over the network.
      webhooks: { fetch: async (url) => (hooked.push(String(url)), new Response(null)) },
    })
    const record = await engine.submit(
      { input: { a: 1 }, webhook: 'https://hook.test/x', policy: { ttl: 60_000 }, s3Config: { bucketName: 'b' } },
      { env: { SECRET: 's' }, executionCtx: { waitUntil } }
    )
    await ended(engine, record)
    expect(seen).toMatchObject({
      id: record.id,
      input: { a: 1 },
      webhook: 'https://hook.test/x',
      policy: { ttl: 60_000 },
      s3Config: { bucketName: 'b' },
      env: { SECRET: 's' },
    })
    expect(seen?.signal).toBeInstanceOf(AbortSignal)
    expect(seen?.executionCtx?.waitUntil).toBe(waitUntil)
    // Once for the job, once for its webhook delivery.
    expect(waitUntil).toHaveBeenCalledTimes(2)
    await Promise.all(waitUntil.mock.calls.map(([promise]) => promise))
    expect(hooked).toEqual(['https://hook.test/x'])
    expect((await engine.status(record)).progress).toEqual({ step: 1 })
  })

  it('orders progress with the outputs in the one log', async () => {
    const engine = engineWith({
      handler: async function* (job) {
        yield 'a'
        job.progress(50)
        yield 'b'
        job.progress(100)
      },
      returnAggregateStream: true,
    })
    const record = await submit(engine)
    await ended(engine, record)
    expect(parsedLog(engine, record).map((e) => `${e.type}:${JSON.stringify(e.data.status ?? e.data)}`)).toEqual([
      'output:"a"',
      'progress:50',
      'output:"b"',
      'progress:100',
      'done:"COMPLETED"',
    ])
  })

  it('shows the latest progress in output while a running job has no output yet, as RunPod does', async () => {
    const [first, second] = [gate(), gate()]
    const engine = engineWith({
      handler: async function* (job) {
        job.progress({ pct: 10 })
        await first.promise
        job.progress({ pct: 60 })
        yield 'a'
        await second.promise
      },
      returnAggregateStream: true,
    })
    const record = await submit(engine)
    await vi.waitFor(async () => expect(await engine.status((await engine.get(record.id))!)).toMatchObject({ status: 'IN_PROGRESS', output: { pct: 10 }, progress: { pct: 10 } }))
    first.open()
    await vi.waitFor(async () => expect(await engine.status((await engine.get(record.id))!)).toMatchObject({ output: ['a'], progress: { pct: 60 } }))
    second.open()
    await ended(engine, record)
    expect(await engine.status((await engine.get(record.id))!)).toMatchObject({ status: 'COMPLETED', output: ['a'], progress: { pct: 60 } })
  })

  it('gives every attempt its own copy of the input', async () => {
    const engine = engineWith({
      handler: (job: Job<{ list: number[] }>) => {
        job.input.list.push(1)
        throw new Error(`length ${job.input.list.length}`)
      },
    })
    const record = await submit(engine, { list: [] })
    await ended(engine, record)
    await engine.retry(record.id)
    await ended(engine, record)
    expect(record.attempt.error?.message).toBe('length 1')
  })
})

describe('lifecycle and concurrency', () => {
  it('moves IN_QUEUE → IN_PROGRESS → COMPLETED and measures delay and execution time', async () => {
    vi.useFakeTimers()
    const engine = engineWith({
      handler: async () => {
        await new Promise((r) => setTimeout(r, 300))
        return 1
      },
      concurrencyModifier: 1,
    })
    const [first, second] = await Promise.all([submit(engine), submit(engine)])
    expect(first.attempt.status).toBe('IN_PROGRESS')
    expect(second.attempt.status).toBe('IN_QUEUE')
    await vi.advanceTimersByTimeAsync(300)
    expect(first.attempt.status).toBe('COMPLETED')
    expect(second.attempt.status).toBe('IN_PROGRESS')
    await vi.advanceTimersByTimeAsync(300)
    expect(await engine.status(second)).toMatchObject({ status: 'COMPLETED', delayTime: 300, executionTime: 300 })
  })

  it('runs at most the concurrency at once and starts the rest in FIFO order', async () => {
    const gates = new Map<number, ReturnType<typeof gate<void>>>()
    const started: number[] = []
    const engine = engineWith({
      handler: async (job: Job<number>) => {
        started.push(job.input)
        const g = gate()
        gates.set(job.input, g)
        await g.promise
      },
      concurrencyModifier: 2,
    })
    const records = await Promise.all([0, 1, 2, 3, 4].map((n) => submit(engine, n)))
    await Promise.resolve()
    expect(started).toEqual([0, 1])
    expect(await engine.health()).toMatchObject({ jobs: { inProgress: 2, inQueue: 3 }, workers: { running: 2, idle: 0 } })
    gates.get(1)?.open()
    await ended(engine, records[1]!)
    await Promise.resolve()
    expect(started).toEqual([0, 1, 2])
    gates.get(0)?.open()
    await ended(engine, records[0]!)
    await Promise.resolve()
    expect(started).toEqual([0, 1, 2, 3])
  })

  it('asks a concurrency modifier function with the current value, as RunPod does', async () => {
    const asked: number[] = []
    const engine = engineWith({
      handler: () => new Promise(() => {}),
      concurrencyModifier: (current) => {
        asked.push(current)
        return Math.min(current + 1, 3)
      },
    })
    await Promise.all(Array.from({ length: 5 }, (_, i) => submit(engine, i)))
    expect((await engine.health()).jobs).toMatchObject({ inProgress: 3, inQueue: 2 })
    expect(asked.slice(0, 3)).toEqual([1, 2, 3])
  })

  it('asks a concurrency modifier about once a second, idle or not: a raised limit starts queued jobs, a lowered one lets running jobs finish', async () => {
    vi.useFakeTimers()
    try {
      let wanted = 1
      let asked = 0
      const release = gate()
      const engine = engineWith({
        handler: () => release.promise,
        concurrencyModifier: () => {
          asked++
          return wanted
        },
      })
      await Promise.all([submit(engine), submit(engine), submit(engine)])
      expect((await engine.health()).jobs).toMatchObject({ inProgress: 1, inQueue: 2 })
      const before = asked
      await vi.advanceTimersByTimeAsync(3_000)
      // Asked on the cadence though nothing moved.
      expect(asked - before).toBe(3)
      wanted = 3
      await vi.advanceTimersByTimeAsync(1_000)
      expect((await engine.health()).jobs).toMatchObject({ inProgress: 3, inQueue: 0 })
      // Lowered: nothing running is stopped.
      wanted = 1
      await vi.advanceTimersByTimeAsync(1_000)
      expect((await engine.health()).jobs.inProgress).toBe(3)
      engine.close()
      release.open()
    } finally {
      vi.useRealTimers()
    }
  })

  it('keeps the queue moving when a concurrency modifier throws', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    let calls = 0
    const engine = engineWith({
      handler: () => 'ok',
      concurrencyModifier: (current) => {
        if (++calls > 1) throw new Error('broken modifier')
        return current
      },
    })
    const records = await Promise.all([submit(engine), submit(engine), submit(engine)])
    await Promise.all(records.map((r) => ended(engine, r)))
    expect(records.map((r) => r.attempt.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED'])
    expect(error).toHaveBeenCalled()
    error.mockRestore()
  })

  it('refuses a concurrency that is not a whole number of at least 1', () => {
    for (const bad of [0, 1.5, -1, Number.NaN]) {
      expect(() => engineWith({ handler: () => 1, concurrencyModifier: bad })).toThrow(/whole number/)
    }
  })

  it('starts low-priority jobs after every other queued job', async () => {
    const started: string[] = []
    const engine = engineWith({
      handler: async (job: Job<string>) => {
        started.push(job.input)
      },
      concurrencyModifier: 1,
    })
    // Submitted in the same tick, as before: awaited one by one, 'first' would end before the others queue.
    const [blocker, , last] = await Promise.all([
      submit(engine, 'first'),
      submit(engine, 'low', { policy: { lowPriority: true } }),
      submit(engine, 'normal'),
    ])
    await ended(engine, blocker)
    await ended(engine, last)
    await new Promise((r) => setTimeout(r, 0))
    expect(started).toEqual(['first', 'normal', 'low'])
  })
})

describe('results and errors', () => {
  it('fails with the message of a thrown error, keeping the outputs streamed before it', async () => {
    const engine = engineWith({
      handler: async function* () {
        yield 1
        throw new RangeError('boom')
      },
      returnAggregateStream: true,
    })
    const record = await submit(engine)
    await ended(engine, record)
    expect(await engine.status(record)).toMatchObject({
      status: 'FAILED',
      output: [1],
      error: 'boom',
      errorDetail: { type: 'RangeError', message: 'boom' },
    })
    expect((await engine.status(record)).errorDetail).not.toHaveProperty('stack')
  })

  it('exposes the stack only when configured', async () => {
    const engine = engineWith({
      handler: () => {
        throw new Error('x')
      },
      exposeErrorStack: true,
    })
    const record = await submit(engine)
    await ended(engine, record)
    expect((await engine.status(record)).errorDetail?.stack).toContain('Error: x')
  })

  it('fails on a returned {error} and keeps the other keys as the output (RunPod)', async () => {
    const engine = engineWith({ handler: () => ({ error: 'bad seed', detail: 1, refresh_worker: true }) })
    const record = await submit(engine)
    await ended(engine, record)
    expect(await engine.status(record)).toMatchObject({ status: 'FAILED', error: 'bad seed', output: { detail: 1 } })
  })

  it('fails on a yielded {error}, streams it, and stops the generator', async () => {
    let cleaned = false
    const engine = engineWith({
      handler: async function* () {
        try {
          yield 'ok'
          yield { error: 'model crashed' }
          yield 'never'
        } finally {
          cleaned = true
        }
      },
      returnAggregateStream: true,
    })
    const record = await submit(engine)
    await ended(engine, record)
    expect(await engine.status(record)).toMatchObject({ status: 'FAILED', error: 'model crashed', output: ['ok', { error: 'model crashed' }] })
    await vi.waitFor(() => expect(cleaned).toBe(true))
  })

  it.each([
    ['a BigInt', 10n],
    ['undefined', undefined],
    ['a cycle', (() => {
      const a: Record<string, unknown> = {}
      a['self'] = a
      return a
    })()],
  ])('fails with a clear error when a handler yields %s', async (_name, value) => {
    const engine = engineWith({
      handler: function* () {
        yield 'fine'
        yield value
      },
      returnAggregateStream: true,
    })
    const record = await submit(engine)
    await ended(engine, record)
    expect(await engine.status(record)).toMatchObject({ status: 'FAILED', output: ['fine'], errorDetail: { type: 'TypeError' } })
    expect((await engine.status(record)).error).toMatch(/output 2/)
  })

  it('completes with no output when a plain handler returns nothing', async () => {
    const engine = engineWith({ handler: () => {} })
    const record = await submit(engine)
    await ended(engine, record)
    expect((await engine.status(record)).status).toBe('COMPLETED')
    expect(await engine.status(record)).not.toHaveProperty('output')
  })
})

describe('cancel and timeout stop the handler', () => {
  it('aborts the signal of a handler awaiting it, runs its finally, and records CANCELLED at once', async () => {
    const events: string[] = []
    const engine = engineWith({
      handler: async function* (job) {
        try {
          yield 'first'
          await new Promise((_, reject) => job.signal.addEventListener('abort', () => reject(job.signal.reason)))
        } finally {
          events.push('finally')
        }
      },
      returnAggregateStream: true,
    })
    const record = await submit(engine)
    await vi.waitFor(() => expect(record.attempt.lastSeq).toBe(1))
    void engine.cancel(record.id)
    // Read at once, as before: no microtask may pass between the cancel and the wait for the finally.
    expect(statusNow(engine, record)).toMatchObject({ status: 'CANCELLED', output: ['first'] })
    await vi.waitFor(() => expect(events).toEqual(['finally']))
    // The slot is freed once the handler has settled, a few microtasks after its finally ran.
    await vi.waitFor(async () => expect((await engine.health()).workers.running).toBe(0))
  })

  it('records CANCELLED at once even when the handler is stuck in an await that ignores the signal', async () => {
    vi.useFakeTimers()
    const stuck = gate()
    let cleaned = false
    const engine = engineWith({
      handler: async function* () {
        try {
          yield 'a'
          await stuck.promise
          yield 'b'
        } finally {
          cleaned = true
        }
      },
      returnAggregateStream: true,
      cleanupTimeout: 1000,
      concurrencyModifier: 1,
    })
    const [record, next] = await Promise.all([submit(engine), submit(engine)])
    await vi.waitFor(() => expect(record.attempt.lastSeq).toBe(1))
    void engine.cancel(record.id)
    expect(record.attempt.status).toBe('CANCELLED')
    expect(statusNow(engine, record).output).toEqual(['a'])
    expect(logOf(engine, record).ended).toBe(true)
    // The slot is held while the handler might still clean up, then freed for the queue.
    expect(next.attempt.status).toBe('IN_QUEUE')
    await vi.advanceTimersByTimeAsync(1000)
    expect(next.attempt.status).not.toBe('IN_QUEUE')
    // When the await finally settles, the generator is closed without yielding again.
    stuck.open()
    await vi.waitFor(() => expect(cleaned).toBe(true))
    expect((await engine.status(record)).output).toEqual(['a'])
  })

  it('ends a job TIMED_OUT past its executionTimeout, with its outputs so far', async () => {
    vi.useFakeTimers()
    const engine = engineWith({
      handler: async function* (job) {
        yield 1
        await new Promise((_, reject) => job.signal.addEventListener('abort', () => reject(job.signal.reason)))
      },
      returnAggregateStream: true,
    })
    const record = await submit(engine, {}, { policy: { executionTimeout: 5000 } })
    await vi.advanceTimersByTimeAsync(4999)
    expect(record.attempt.status).toBe('IN_PROGRESS')
    await vi.advanceTimersByTimeAsync(1)
    expect(await engine.status(record)).toMatchObject({
      status: 'TIMED_OUT',
      output: [1],
      errorDetail: { type: 'TimeoutError', message: 'execution timeout of 5000 ms exceeded' },
    })
  })

  it('cancels a queued job so it never starts', async () => {
    const started = vi.fn()
    const engine = engineWith({
      handler: (job) => {
        started(job.input)
        return new Promise(() => {})
      },
      concurrencyModifier: 1,
    })
    const [, queued] = await Promise.all([submit(engine, 'running'), submit(engine, 'queued')])
    void engine.cancel(queued.id)
    expect(queued.attempt.status).toBe('CANCELLED')
    expect((await engine.health()).jobs.inQueue).toBe(0)
    expect(started).toHaveBeenCalledTimes(1)
  })

  it('leaves a job that has ended as it was', async () => {
    const engine = engineWith({ handler: () => 1 })
    const record = await submit(engine)
    await ended(engine, record)
    void engine.cancel(record.id)
    expect(record.attempt.status).toBe('COMPLETED')
    expect(logOf(engine, record).events.filter((e) => e.type === 'done')).toHaveLength(1)
  })
})

describe('retry, purge, retention', () => {
  it('retries a FAILED job with the same id and input, numbering events on from the first attempt', async () => {
    let attempt = 0
    const engine = engineWith({
      handler: async function* (job: Job<string>) {
        attempt++
        yield `${job.input} ${attempt}`
        if (attempt === 1) throw new Error('flaky')
      },
      returnAggregateStream: true,
    })
    const record = await submit(engine, 'try')
    await ended(engine, record)
    const firstDone = record.attempt.lastSeq
    await engine.retry(record.id)
    expect(record.attempt.status).not.toBe('FAILED')
    await ended(engine, record)
    expect(await engine.status(record)).toMatchObject({ id: record.id, status: 'COMPLETED', output: ['try 2'] })
    expect(logOf(engine, record).events[0]?.seq).toBe(firstDone + 1)
    expect((await engine.health()).jobs.retried).toBe(1)
  })

  it('refuses to retry a job that is not FAILED or TIMED_OUT', async () => {
    const engine = engineWith({ handler: () => 1 })
    const record = await submit(engine)
    await ended(engine, record)
    const refused: unknown = await engine.retry(record.id).then(() => undefined, (error: unknown) => error)
    expect(refused).toEqual(expect.objectContaining({ code: 'invalid_state' }))
    expect(isWorkerError(refused) && statusOfCode[refused.code]).toBe(409)
  })

  it('purges queued jobs only, ending them CANCELLED', async () => {
    const engine = engineWith({ handler: () => new Promise(() => {}), concurrencyModifier: 1 })
    const [running, ...queued] = await Promise.all([submit(engine), submit(engine), submit(engine)])
    expect(await engine.purgeQueue()).toBe(2)
    expect(queued.map((r) => r.attempt.status)).toEqual(['CANCELLED', 'CANCELLED'])
    expect(running.attempt.status).toBe('IN_PROGRESS')
    expect((await engine.health()).jobs.inQueue).toBe(0)
  })

  it('keeps a result until its ttl, then forgets the job', async () => {
    vi.useFakeTimers()
    const engine = engineWith({ handler: () => 1 })
    const record = await submit(engine, {}, { policy: { ttl: 10_000 } })
    await vi.advanceTimersByTimeAsync(9_999)
    expect(await engine.get(record.id)).toBe(record)
    await vi.advanceTimersByTimeAsync(1)
    expect(await engine.get(record.id)).toBeUndefined()
  })

  it('never deletes a running job at its ttl, and keeps its result a little after it ends', async () => {
    vi.useFakeTimers()
    const engine = engineWith({
      handler: async () => {
        await new Promise((r) => setTimeout(r, 30_000))
        return 'late'
      },
    })
    const record = await submit(engine, {}, { policy: { ttl: 20_000 } })
    await vi.advanceTimersByTimeAsync(25_000)
    expect((await engine.get(record.id))?.attempt.status).toBe('IN_PROGRESS')
    await vi.advanceTimersByTimeAsync(5_000)
    expect(await engine.status(record)).toMatchObject({ status: 'COMPLETED', output: 'late' })
    await vi.advanceTimersByTimeAsync(19_999)
    expect(await engine.get(record.id)).toBeDefined()
    await vi.advanceTimersByTimeAsync(1)
    expect(await engine.get(record.id)).toBeUndefined()
  })

  it('ends a job TIMED_OUT when its ttl passes while it waits in the queue', async () => {
    vi.useFakeTimers()
    const engine = engineWith({ handler: () => new Promise(() => {}), concurrencyModifier: 1 })
    const [, queued] = await Promise.all([submit(engine), submit(engine, {}, { policy: { ttl: 10_000 } })])
    await vi.advanceTimersByTimeAsync(10_000)
    expect(await engine.status(queued)).toMatchObject({ status: 'TIMED_OUT', errorDetail: { type: 'TimeoutError' } })
    expect(logOf(engine, queued).ended).toBe(true)
  })
})

describe('a POST /stream job nobody reads', () => {
  it('is cancelled after the grace period once its last reader leaves', async () => {
    vi.useFakeTimers()
    const engine = engineWith({ handler: () => new Promise(() => {}), disconnectGrace: 30_000 })
    const record = await engine.submit({ input: {} }, { origin: 'stream' })
    engine.attachReader(record)
    engine.detachReader(record)
    await vi.advanceTimersByTimeAsync(29_999)
    expect(record.attempt.status).toBe('IN_PROGRESS')
    await vi.advanceTimersByTimeAsync(1)
    expect(await engine.status(record)).toMatchObject({ status: 'CANCELLED', error: 'cancelled: no reader for 30000 ms' })
  })

  it('lives on when a reader comes back within the grace period', async () => {
    vi.useFakeTimers()
    const engine = engineWith({ handler: () => new Promise(() => {}), disconnectGrace: 30_000 })
    const record = await engine.submit({ input: {} }, { origin: 'stream' })
    engine.attachReader(record)
    engine.detachReader(record)
    await vi.advanceTimersByTimeAsync(20_000)
    engine.attachReader(record)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(record.attempt.status).toBe('IN_PROGRESS')
  })

  it('never cancels a /run job when its readers leave', async () => {
    vi.useFakeTimers()
    const engine = engineWith({ handler: () => new Promise(() => {}), disconnectGrace: 0 })
    const record = await submit(engine)
    engine.attachReader(record)
    engine.detachReader(record)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(record.attempt.status).toBe('IN_PROGRESS')
  })
})

describe('nextDeadline', () => {
  it('is the earliest of the ttls and the running jobs’ execution timeouts', async () => {
    vi.useFakeTimers({ now: 1_000_000 })
    const engine = engineWith({ handler: () => new Promise(() => {}), concurrencyModifier: 1 })
    expect(engine.nextDeadline()).toBeUndefined()
    await Promise.all([submit(engine, {}, { policy: { ttl: 60_000, executionTimeout: 30_000 } }), submit(engine, {}, { policy: { ttl: 20_000 } })])
    expect(engine.nextDeadline()).toBe(1_000_000 + 20_000)
    const third = engineWith({ handler: () => new Promise(() => {}) })
    await submit(third, {}, { policy: { ttl: 60_000, executionTimeout: 5_000 } })
    expect(third.nextDeadline()).toBe(1_000_000 + 5_000)
  })
})

describe('retry', () => {
  it('queues a retried job behind the jobs queued since, never in its old place', async () => {
    vi.useFakeTimers()
    const started: string[] = []
    const engine = engineWith({
      handler: async (job: Job<string>) => {
        started.push(job.input)
        if (job.input === 'A') await new Promise((r) => setTimeout(r, 600))
      },
      concurrencyModifier: 1,
    })
    const [, b] = await Promise.all([submit(engine, 'A'), submit(engine, 'B', { policy: { ttl: 300 } })])
    await vi.advanceTimersByTimeAsync(300)
    expect(b.attempt.status).toBe('TIMED_OUT')
    await submit(engine, 'D')
    await engine.retry(b.id)
    await vi.advanceTimersByTimeAsync(1_000)
    expect(started).toEqual(['A', 'D', 'B'])
  })

  it('gives the retried attempt the retrying request’s execution context', async () => {
    const seen: unknown[] = []
    let attempt = 0
    const engine = engineWith({
      handler: (job) => {
        seen.push(job.executionCtx)
        if (++attempt === 1) throw new Error('flaky')
        return 'ok'
      },
    })
    const first = { waitUntil: vi.fn() }
    const second = { waitUntil: vi.fn() }
    const record = await engine.submit({ input: {} }, { executionCtx: first })
    await ended(engine, record)
    await engine.retry(record.id, second)
    await ended(engine, record)
    expect(seen).toEqual([first, second])
  })
})

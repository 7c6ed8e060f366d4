/**
 * Faults in handlers, and values JSON cannot carry, proved through real
 * Requests: in-process `worker.fetch` where only the worker matters, real Node servers on port 0
 * where the network does (webhook receivers, a client racing a hot handler).
 *
 * - A handler that throws before its first yield, between yields or after its last (after the
 *   loop, in a `finally`), of every kind: the job ends `FAILED` with the message, the outputs it
 *   yielded stay (live readers saw them, then exactly one `done`; `/status` per aggregation), and
 *   the worker serves the next job.
 * - A handler that never yields: `executionTimeout` ends it `TIMED_OUT`, `/cancel` `CANCELLED`,
 *   and its `finally` runs when it honours `job.signal`.
 * - A handler that ignores its signal: `CANCELLED` (or `TIMED_OUT`) at once, and its slot is freed
 *   after `cleanupTimeout` anyway (fake timers), so the queue moves and `/health` returns to idle.
 * - A handler that yields thousands of values in one tick: every output once, in order, and the
 *   server answers other requests while it produces.
 * - A webhook receiver that is down or hangs: the job's status is right regardless, `/runsync`
 *   does not wait for delivery, attempts are bounded, the worker keeps serving.
 * - Values JSON cannot carry, yielded or returned: `FAILED` with a message naming the output and
 *   the reason, a proper `done`, earlier outputs kept.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { serverless } from 'edgepod'
import type { Job, JobStatusObject, WorkerConfig } from 'edgepod'
import { serve } from 'edgepod/node'
import type { NodeServer } from 'edgepod/node'
import { gate } from '../helpers/gate.ts'
import { serveRecording } from '../helpers/recording-server.ts'
import { checkedStream, sseReader } from '../helpers/sse-reader.ts'

interface FetchesRequests {
  fetch(request: Request): Response | Promise<Response>
}

const BASE = 'http://edgepod.test'
const SSE = { accept: 'text/event-stream' }

const post = (worker: FetchesRequests, path: string, body?: unknown) =>
  worker.fetch(new Request(`${BASE}${path}`, { method: 'POST', body: body === undefined ? undefined : JSON.stringify(body) }))
const get = (worker: FetchesRequests, path: string, headers: Record<string, string> = {}) =>
  worker.fetch(new Request(`${BASE}${path}`, { headers }))
const json = async (response: Response | Promise<Response>): Promise<any> => (await response).json()
const statusOf = (worker: FetchesRequests, id: string): Promise<JobStatusObject> => json(get(worker, `/status/${id}`))

/** An empty worker's `/health`, plus the given job counts. */
const idleHealth = (jobs: Partial<Record<'completed' | 'failed' | 'retried', number>>, concurrency = 100) => ({
  jobs: { completed: 0, failed: 0, inProgress: 0, inQueue: 0, retried: 0, ...jobs },
  workers: { idle: concurrency, running: 0, initializing: 0, ready: 1, throttled: 0 },
})

/** Creates a job with `POST /stream` and reads its SSE answer to the end. */
async function streamed(worker: FetchesRequests, body: unknown) {
  const response = await post(worker, '/stream', body)
  expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
  const events = await sseReader(response).rest()
  return { id: response.headers.get('x-job-id')!, events, ...checkedStream(events) }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('a handler that throws', () => {
  const ITEMS = ['a', 'b', 'c']
  type Where = 'before the first yield' | 'between yields' | 'after the last yield' | 'in a finally block'
  /** Only the failing job throws: the next job on the same worker runs the same handler cleanly. */
  type FaultInput = { fail: boolean }
  const failAt = (job: Job<FaultInput>, where: Where, at: Where) => {
    if (job.input.fail && where === at) throw new RangeError(`failed ${at}`)
  }

  const kinds: Record<string, { wheres: Where[]; handler: (where: Where) => WorkerConfig['handler'] }> = {
    'an async generator': {
      wheres: ['before the first yield', 'between yields', 'after the last yield', 'in a finally block'],
      handler: (where) =>
        async function* (job: Job<FaultInput>) {
          try {
            failAt(job, where, 'before the first yield')
            for (const [index, item] of ITEMS.entries()) {
              if (index === 2) failAt(job, where, 'between yields')
              yield item
              // A real gap between yields, as a handler awaiting its model has.
              await new Promise((resolve) => setImmediate(resolve))
            }
            failAt(job, where, 'after the last yield')
          } finally {
            failAt(job, where, 'in a finally block')
          }
        },
    },
    'a sync generator': {
      wheres: ['before the first yield', 'between yields', 'after the last yield', 'in a finally block'],
      handler: (where) =>
        function* (job: Job<FaultInput>) {
          try {
            failAt(job, where, 'before the first yield')
            for (const [index, item] of ITEMS.entries()) {
              if (index === 2) failAt(job, where, 'between yields')
              yield item
            }
            failAt(job, where, 'after the last yield')
          } finally {
            failAt(job, where, 'in a finally block')
          }
        },
    },
    'a ReadableStream': {
      // A stream has no finally of its own; its pull erroring is its throw.
      wheres: ['before the first yield', 'between yields', 'after the last yield'],
      handler: (where) => (job: Job<FaultInput>) => {
        let next = 0
        return new ReadableStream<string>(
          {
            pull(controller) {
              if (next === 0) failAt(job, where, 'before the first yield')
              if (next === 2) failAt(job, where, 'between yields')
              if (next === ITEMS.length) failAt(job, where, 'after the last yield')
              if (next < ITEMS.length) controller.enqueue(ITEMS[next++]!)
              else controller.close()
            },
          },
          // Pulled only when edgepod reads: each item is produced when asked for, as a model's are.
          { highWaterMark: 0 }
        )
      },
    },
  }
  const yieldedBefore: Record<Where, string[]> = {
    'before the first yield': [],
    'between yields': ['a', 'b'],
    'after the last yield': ITEMS,
    'in a finally block': ITEMS,
  }

  const cases = Object.entries(kinds).flatMap(([kind, { wheres, handler }]) =>
    wheres.map((where) => [kind, where, handler(where)] as const)
  )
  it.each(cases)('%s throwing %s: FAILED with its message, its outputs kept, and the worker serves the next job', async (_kind, where, handler) => {
    const worker = serverless.start({ handler, returnAggregateStream: true })
    const failed = await streamed(worker, { input: { fail: true } })
    const message = `failed ${where}`
    expect(failed.outputs).toEqual(yieldedBefore[where])
    expect(failed.done).toMatchObject({ id: failed.id, status: 'FAILED', error: message, errorDetail: { type: 'RangeError', message } })
    expect(failed.done).not.toHaveProperty('output')
    expect(await statusOf(worker, failed.id)).toMatchObject({ status: 'FAILED', error: message, output: yieldedBefore[where] })

    const next = await json(post(worker, '/runsync', { input: { fail: false } }))
    expect(next).toMatchObject({ status: 'COMPLETED', output: ITEMS })
    expect(next).not.toHaveProperty('error')
    expect(await json(get(worker, '/health'))).toEqual(idleHealth({ completed: 1, failed: 1 }))
  })

  it('a plain async handler throwing before its result: FAILED with no output, and the worker serves the next job', async () => {
    const worker = serverless.start({
      handler: async (job: Job<FaultInput>) => {
        await new Promise((resolve) => setImmediate(resolve))
        if (job.input.fail) throw new RangeError('failed before its result')
        return ITEMS
      },
    })
    const failed = await streamed(worker, { input: { fail: true } })
    expect(failed.events.map((event) => event.event)).toEqual(['done'])
    expect(failed.done).toMatchObject({ status: 'FAILED', error: 'failed before its result', errorDetail: { type: 'RangeError' } })
    // A plain handler has no output until it returns one: nothing, rather than an empty array.
    expect(await statusOf(worker, failed.id)).not.toHaveProperty('output')
    expect(await json(post(worker, '/runsync', { input: { fail: false } }))).toMatchObject({ status: 'COMPLETED', output: ITEMS })
    expect(await json(get(worker, '/health'))).toEqual(idleHealth({ completed: 1, failed: 1 }))
  })

  it('keeps what a live reader already saw: its outputs, then one FAILED done; a resuming reader and the polled stream agree', async () => {
    const proceed = gate()
    const worker = serverless.start({
      handler: async function* () {
        yield 'a'
        yield 'b'
        await proceed.promise
        throw new RangeError('failed between yields')
      },
      returnAggregateStream: true,
    })
    const { id } = await json(post(worker, '/run', { input: {} }))
    const live = sseReader(await get(worker, `/stream/${id}`, SSE))
    // Read while the handler is still running: these outputs were delivered before the throw.
    expect((await live.take(2)).map((event) => event.data)).toEqual(['"a"', '"b"'])
    expect((await statusOf(worker, id)).status).toBe('IN_PROGRESS')
    proceed.open()
    const [done, ...after] = await live.rest()
    expect(after).toEqual([])
    expect(done).toMatchObject({ id: '3', event: 'done' })
    expect(JSON.parse(done!.data)).toMatchObject({ status: 'FAILED', error: 'failed between yields' })

    const resumed = checkedStream(await sseReader(await get(worker, `/stream/${id}`, { ...SSE, 'last-event-id': '1' })).rest(), 2)
    expect(resumed.outputs).toEqual(['b'])
    expect((await get(worker, `/stream/${id}`, { ...SSE, 'last-event-id': '3' })).status).toBe(204)
    expect(await json(get(worker, `/stream/${id}?after=0`))).toEqual({
      id,
      status: 'FAILED',
      stream: [{ output: 'a' }, { output: 'b' }],
      cursor: 3,
      error: 'failed between yields',
    })
  })

  it.each([
    ['array', ['a', 'b']],
    ['concat', 'ab'],
    ['none', []],
  ] as const)("reports the outputs before the throw in /status as aggregation '%s' says", async (aggregate, output) => {
    const worker = serverless.start({
      handler: async function* () {
        yield 'a'
        yield 'b'
        throw new RangeError('failed between yields')
      },
      aggregate,
    })
    const failed = await streamed(worker, { input: {} })
    // The stream carries every output whatever the aggregation; /status carries the aggregate.
    expect(failed.outputs).toEqual(['a', 'b'])
    expect(await statusOf(worker, failed.id)).toMatchObject({ status: 'FAILED', error: 'failed between yields', output })
  })

  // JavaScript can throw anything. Whatever it is, the job must end FAILED with some text: a
  // value edgepod cannot describe must not leave the job running (and its readers waiting) until
  // the execution timeout.
  const nullPrototypeWithBigInt = Object.assign(Object.create(null) as object, { big: 1n })
  /** Even `instanceof` on it throws. */
  const hostileProxy = () => {
    const trap = () => {
      throw new Error('trapped')
    }
    return new Proxy({}, { get: trap, getPrototypeOf: trap, ownKeys: trap, has: trap, getOwnPropertyDescriptor: trap })
  }
  it.each([
    ['a string', 'model crashed', 'model crashed'],
    ['a plain object', { code: 42 }, '{"code":42}'],
    ['undefined', undefined, 'undefined'],
    ['null', null, 'null'],
    ['a BigInt', 10n, '10'],
    ['a symbol', Symbol('oops'), 'Symbol(oops)'],
    ['an object JSON cannot carry and with no toString (null prototype)', nullPrototypeWithBigInt, expect.any(String)],
    ['a Proxy whose every trap throws', hostileProxy(), 'a thrown value that cannot be read'],
  ])('a generator throwing %s (not an Error): FAILED with its text, one done, outputs kept', async (_name, thrown, message) => {
    const worker = serverless.start({
      handler: async function* () {
        yield 'a'
        throw thrown
      },
      returnAggregateStream: true,
      // Not the 10-minute default: a job left running must fail this test, not time it out.
      executionTimeout: 1_000,
    })
    const failed = await streamed(worker, { input: {} })
    expect(failed.outputs).toEqual(['a'])
    expect(failed.done).toMatchObject({ status: 'FAILED', error: message, errorDetail: { type: 'Error', message } })
    expect(await json(post(worker, '/runsync', { input: {} }))).toMatchObject({ status: 'FAILED', output: ['a'] })
  })
})

describe('a result that throws when it is read', () => {
  it('fails a plain handler whose returned object throws from its error getter, in the getter’s words', async () => {
    const worker = serverless.start({
      handler: async () => ({
        get error(): string {
          throw new TypeError('result unreadable')
        },
      }),
      executionTimeout: 1_000,
    })
    const failed = await streamed(worker, { input: {} })
    expect(failed.outputs).toEqual([])
    expect(failed.done).toMatchObject({ status: 'FAILED', error: 'result unreadable', errorDetail: { type: 'TypeError' } })
  })

  it('fails a handler returning an iterable whose iterator cannot be made, in its words', async () => {
    const worker = serverless.start({
      handler: () => ({
        [Symbol.asyncIterator](): AsyncIterator<unknown> {
          throw new RangeError('no iterator today')
        },
      }),
      executionTimeout: 1_000,
    })
    const failed = await streamed(worker, { input: {} })
    expect(failed.outputs).toEqual([])
    expect(failed.done).toMatchObject({ status: 'FAILED', error: 'no iterator today', errorDetail: { type: 'RangeError' } })
  })
})

describe('a handler that never yields', () => {
  /** What the handler's `finally` saw, when it ran. */
  let cleanup: { reason: string } | undefined
  const waitForAbort = (job: Job) =>
    new Promise((_, reject) => job.signal.addEventListener('abort', () => reject(job.signal.reason), { once: true }))
  const handlers: Array<[string, WorkerConfig['handler']]> = [
    [
      'an async generator',
      async function* (job: Job) {
        try {
          await waitForAbort(job)
          yield 'never'
        } finally {
          cleanup = { reason: (job.signal.reason as DOMException).name }
        }
      },
    ],
    [
      'a plain async handler',
      async (job: Job) => {
        try {
          await waitForAbort(job)
          return 'never'
        } finally {
          cleanup = { reason: (job.signal.reason as DOMException).name }
        }
      },
    ],
  ]

  it.each(handlers)('%s is ended TIMED_OUT by executionTimeout: done is its only event, its finally runs, its slot is freed', async (_name, handler) => {
    vi.useFakeTimers()
    cleanup = undefined
    const worker = serverless.start({ handler, returnAggregateStream: true, executionTimeout: 5_000 })
    const response = await post(worker, '/stream', { input: {} })
    const id = response.headers.get('x-job-id')!
    const reader = sseReader(response)
    await vi.advanceTimersByTimeAsync(4_999)
    expect((await statusOf(worker, id)).status).toBe('IN_PROGRESS')
    expect(cleanup).toBeUndefined()
    await vi.advanceTimersByTimeAsync(1)
    const { outputs, done } = checkedStream(await reader.rest())
    expect(outputs).toEqual([])
    const error = 'execution timeout of 5000 ms exceeded'
    expect(done).toMatchObject({ id, status: 'TIMED_OUT', error, errorDetail: { type: 'TimeoutError', message: error } })
    // The finally ran on the signal's abort, not on a cleanup timer: no time has passed.
    expect(cleanup).toEqual({ reason: 'TimeoutError' })
    expect(await json(get(worker, '/health'))).toEqual(idleHealth({ failed: 1 }))
  })

  it.each(handlers)('%s is ended CANCELLED by /cancel at once: done is its only event, its finally runs, its slot is freed', async (_name, handler) => {
    cleanup = undefined
    const worker = serverless.start({ handler, returnAggregateStream: true })
    const response = await post(worker, '/stream', { input: {} })
    const id = response.headers.get('x-job-id')!
    const reader = sseReader(response)
    expect(await json(get(worker, '/health'))).toMatchObject({ jobs: { inProgress: 1 }, workers: { running: 1 } })
    expect(await json(post(worker, `/cancel/${id}`))).toMatchObject({ id, status: 'CANCELLED' })
    const { outputs, done } = checkedStream(await reader.rest())
    expect(outputs).toEqual([])
    expect(done).toMatchObject({ id, status: 'CANCELLED', error: 'cancelled by request', errorDetail: { type: 'CancelledError' } })
    await vi.waitFor(() => expect(cleanup).toEqual({ reason: 'AbortError' }))
    expect(await json(get(worker, '/health'))).toEqual(idleHealth({}))
  })
})


describe('a handler that ignores its abort signal', () => {
  const CLEANUP = 1_000
  const TIMEOUT = 5_000

  /** Ways to be deaf to `job.signal`; `finish` lets the handler return at last. */
  const deafHandlers = {
    'an await that never settles': () => {
      const never = gate()
      return {
        run: async () => {
          await never.promise
          return 'late'
        },
        finish: async () => never.open(),
      }
    },
    'a loop of awaits': () => {
      let stop = false
      return {
        run: async () => {
          while (!stop) await new Promise((resolve) => setTimeout(resolve, 100))
          return 'late'
        },
        finish: async () => {
          stop = true
          await vi.advanceTimersByTimeAsync(100)
        },
      }
    },
  }
  type Mode = { mode: 'deaf' | 'hold' | 'quick'; n?: number }

  const cases = Object.keys(deafHandlers).flatMap((flavour) =>
    (['/cancel', 'executionTimeout'] as const).map((stop) => [flavour as keyof typeof deafHandlers, stop] as const)
  )
  it.each(cases)('stuck in %s: ended at once by %s, its slot freed after cleanupTimeout, and only once', async (flavour, stop) => {
    vi.useFakeTimers()
    const deaf = deafHandlers[flavour]()
    const hold = gate()
    let finallyRan = false
    const worker = serverless.start({
      handler: async (job: Job<Mode>) => {
        if (job.input.mode === 'quick') return job.input.n
        if (job.input.mode === 'hold') return hold.promise.then(() => 'held')
        try {
          return await deaf.run()
        } finally {
          finallyRan = true
        }
      },
      concurrencyModifier: 1,
      cleanupTimeout: CLEANUP,
      executionTimeout: TIMEOUT,
    })
    const { id } = await json(post(worker, '/run', { input: { mode: 'deaf' } }))
    const waiting = await json(post(worker, '/run', { input: { mode: 'quick', n: 2 } }))
    expect(await json(get(worker, '/health'))).toEqual({
      jobs: { completed: 0, failed: 0, inProgress: 1, inQueue: 1, retried: 0 },
      workers: { idle: 0, running: 1, initializing: 0, ready: 1, throttled: 0 },
    })

    if (stop === '/cancel') expect(await json(post(worker, `/cancel/${id}`))).toMatchObject({ id, status: 'CANCELLED' })
    else await vi.advanceTimersByTimeAsync(TIMEOUT)
    const ended = stop === '/cancel' ? { status: 'CANCELLED', errorDetail: { type: 'CancelledError' } } : { status: 'TIMED_OUT', errorDetail: { type: 'TimeoutError' } }
    const failed = stop === '/cancel' ? 0 : 1
    // Recorded at once, though the handler has not moved; readers get their done now.
    expect(await statusOf(worker, id)).toMatchObject(ended)
    expect(checkedStream(await sseReader(await get(worker, `/stream/${id}`, SSE)).rest()).done).toMatchObject(ended)
    expect(finallyRan).toBe(false)
    // The slot is still held while the handler might yet run its cleanup.
    expect(await json(get(worker, '/health'))).toEqual({
      jobs: { completed: 0, failed, inProgress: 0, inQueue: 1, retried: 0 },
      workers: { idle: 0, running: 1, initializing: 0, ready: 1, throttled: 0 },
    })
    await vi.advanceTimersByTimeAsync(CLEANUP - 1)
    expect((await statusOf(worker, waiting.id)).status).toBe('IN_QUEUE')

    // cleanupTimeout has run out: the slot goes to the waiting job, which runs, and all is idle.
    await vi.advanceTimersByTimeAsync(1)
    expect(await statusOf(worker, waiting.id)).toMatchObject({ status: 'COMPLETED', output: 2 })
    expect(await json(get(worker, '/health'))).toEqual(idleHealth({ completed: 1, failed }, 1))
    // edgepod cannot stop a deaf handler, only stop waiting for it.
    expect(finallyRan).toBe(false)

    // When the deaf handler returns at last, its late result is dropped and its slot is not freed
    // a second time: the job now holding the one slot keeps it, and the next one waits.
    const busy = await json(post(worker, '/run', { input: { mode: 'hold' } }))
    const queued = await json(post(worker, '/run', { input: { mode: 'quick', n: 4 } }))
    await deaf.finish()
    await vi.waitFor(() => expect(finallyRan).toBe(true))
    expect(await statusOf(worker, id)).toMatchObject(ended)
    expect(await statusOf(worker, id)).not.toHaveProperty('output')
    expect((await statusOf(worker, busy.id)).status).toBe('IN_PROGRESS')
    expect((await statusOf(worker, queued.id)).status).toBe('IN_QUEUE')
    expect(await json(get(worker, '/health'))).toMatchObject({ jobs: { inProgress: 1, inQueue: 1 }, workers: { idle: 0, running: 1 } })
    hold.open()
    await vi.waitFor(async () => expect((await statusOf(worker, queued.id)).status).toBe('COMPLETED'))
    expect(await json(get(worker, '/health'))).toEqual(idleHealth({ completed: 3, failed }, 1))
  })

  it('still yielding between deaf awaits: stopped at its next yield, before cleanupTimeout, and nothing after the cancel is kept', async () => {
    vi.useFakeTimers()
    let finallyRan = false
    const worker = serverless.start({
      handler: async function* (job: Job<{ deaf: boolean }>) {
        if (!job.input.deaf) {
          yield 'next'
          return
        }
        try {
          for (let i = 0; ; i++) {
            yield i
            // A wait that ignores job.signal, between outputs.
            await new Promise((resolve) => setTimeout(resolve, 100))
          }
        } finally {
          finallyRan = true
        }
      },
      returnAggregateStream: true,
      concurrencyModifier: 1,
      cleanupTimeout: 60_000,
    })
    const { id } = await json(post(worker, '/run', { input: { deaf: true } }))
    const waiting = await json(post(worker, '/run', { input: { deaf: false } }))
    await vi.advanceTimersByTimeAsync(250)
    expect(await json(post(worker, `/cancel/${id}`))).toMatchObject({ status: 'CANCELLED' })
    expect(await statusOf(worker, id)).toMatchObject({ status: 'CANCELLED', output: [0, 1, 2] })
    expect(finallyRan).toBe(false)
    // Its wait ends: it yields 3, which edgepod does not take, and is closed there.
    await vi.advanceTimersByTimeAsync(50)
    expect(finallyRan).toBe(true)
    expect(await statusOf(worker, id)).toMatchObject({ status: 'CANCELLED', output: [0, 1, 2] })
    expect(checkedStream(await sseReader(await get(worker, `/stream/${id}`, SSE)).rest()).outputs).toEqual([0, 1, 2])
    expect(await statusOf(worker, waiting.id)).toMatchObject({ status: 'COMPLETED', output: ['next'] })
    expect(await json(get(worker, '/health'))).toEqual(idleHealth({ completed: 1 }, 1))
  })
})

describe('values JSON cannot carry', () => {
  const cycle: Record<string, unknown> = { name: 'node' }
  cycle['self'] = cycle
  const unserialisable: Array<[string, unknown, string | ReturnType<typeof expect.stringMatching>]> = [
    ['a BigInt', 10n, 'cannot be sent as JSON: Do not know how to serialize a BigInt'],
    ['a BigInt deep inside an object', { tokens: [1, 2n] }, 'cannot be sent as JSON: Do not know how to serialize a BigInt'],
    ['a cycle', cycle, expect.stringMatching(/ cannot be sent as JSON: Converting circular structure to JSON/)],
    ['undefined', undefined, 'is undefined, which JSON cannot carry'],
    ['a function', () => 'hi', 'is function, which JSON cannot carry'],
    ['a symbol', Symbol('token'), 'is symbol, which JSON cannot carry'],
    [
      'an object whose getter throws',
      {
        get text(): string {
          throw new Error('tokenizer not loaded')
        },
      },
      'cannot be sent as JSON: tokenizer not loaded',
    ],
  ]
  const prefixed = (prefix: string, message: string | ReturnType<typeof expect.stringMatching>) =>
    typeof message === 'string' ? `${prefix} ${message}` : message

  const generators: Record<string, (value: unknown, cleaned: () => void) => WorkerConfig['handler']> = {
    'an async generator': (value, cleaned) =>
      async function* (job: Job<{ bad: boolean }>) {
        try {
          yield 'fine'
          if (job.input.bad) yield value
          yield 'last'
        } finally {
          cleaned()
        }
      },
    'a sync generator': (value, cleaned) =>
      function* (job: Job<{ bad: boolean }>) {
        try {
          yield 'fine'
          if (job.input.bad) yield value
          yield 'last'
        } finally {
          cleaned()
        }
      },
  }
  const yieldCases = Object.entries(generators).flatMap(([kind, make]) => unserialisable.map(([name, value, message]) => [kind, name, make, value, message] as const))

  it.each(yieldCases)('%s yielding %s: FAILED naming the output and why, a proper done, earlier outputs kept, the generator closed', async (_kind, _name, make, value, message) => {
    let cleanups = 0
    const worker = serverless.start({ handler: make(value, () => cleanups++), returnAggregateStream: true })
    const failed = await streamed(worker, { input: { bad: true } })
    const error = prefixed('output 2', message)
    expect(failed.outputs).toEqual(['fine'])
    expect(failed.done).toMatchObject({ status: 'FAILED', error, errorDetail: { type: 'TypeError', message: error } })
    expect(await statusOf(worker, failed.id)).toMatchObject({ status: 'FAILED', error, output: ['fine'] })
    // The generator was stopped at the refused yield: its finally ran, 'last' was never produced.
    await vi.waitFor(() => expect(cleanups).toBe(1))
    expect(await json(post(worker, '/runsync', { input: { bad: false } }))).toMatchObject({ status: 'COMPLETED', output: ['fine', 'last'] })
    expect(await json(get(worker, '/health'))).toEqual(idleHealth({ completed: 1, failed: 1 }))
  })

  // undefined is not in this table: a plain handler returning nothing is RunPod's COMPLETED with no
  // output (src/engine/engine.test.ts, 'completes with no output when a plain handler returns nothing').
  it.each(unserialisable.filter(([name]) => name !== 'undefined'))(
    'a plain async handler returning %s: FAILED naming the result and why, done is the only event',
    async (_name, value, message) => {
      const worker = serverless.start({
        handler: async (job: Job<{ bad: boolean }>) => (job.input.bad ? value : 'fine'),
      })
      const failed = await streamed(worker, { input: { bad: true } })
      const error = prefixed('the result', message)
      expect(failed.events.map((event) => event.event)).toEqual(['done'])
      expect(failed.done).toMatchObject({ status: 'FAILED', error, errorDetail: { type: 'TypeError', message: error } })
      expect(await statusOf(worker, failed.id)).not.toHaveProperty('output')
      expect(await json(post(worker, '/runsync', { input: { bad: false } }))).toMatchObject({ status: 'COMPLETED', output: 'fine' })
    }
  )

  it("ignores what a generator returns, as RunPod does, even when JSON cannot carry it", async () => {
    const worker = serverless.start({
      handler: async function* () {
        yield 'fine'
        return 10n
      },
      returnAggregateStream: true,
    })
    const completed = await streamed(worker, { input: {} })
    expect(completed.outputs).toEqual(['fine'])
    expect(completed.done).toMatchObject({ status: 'COMPLETED' })
    expect(await statusOf(worker, completed.id)).toMatchObject({ status: 'COMPLETED', output: ['fine'] })
  })
})

describe('a handler that yields thousands of values in one tick', () => {
  const COUNT = 10_000
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, index) => from + index)
  const tightHandlers: Array<[string, () => unknown]> = [
    [
      'a sync generator',
      function* () {
        for (let i = 0; i < COUNT; i++) yield i
      },
    ],
    [
      'an async generator that never awaits',
      async function* () {
        for (let i = 0; i < COUNT; i++) yield i
      },
    ],
  ]

  it.each(tightHandlers)('%s of 10,000 outputs: each arrives once and in order, live, resumed, polled and aggregated', async (_name, handler) => {
    const worker = serverless.start({ handler, returnAggregateStream: true })
    const job = await streamed(worker, { input: {} })
    expect(job.outputs).toEqual(range(0, COUNT))
    expect(job.done).toMatchObject({ status: 'COMPLETED' })
    expect(await statusOf(worker, job.id)).toMatchObject({ status: 'COMPLETED', output: range(0, COUNT) })
    const resumed = checkedStream(await sseReader(await get(worker, `/stream/${job.id}`, { ...SSE, 'last-event-id': '5000' })).rest(), 5001)
    expect(resumed.outputs).toEqual(range(5000, COUNT))
    // RunPod's polled stream drains: every output in the first read, none in the next.
    const polled = await json(get(worker, `/stream/${job.id}`))
    expect(polled.stream.map((item: { output: number }) => item.output)).toEqual(range(0, COUNT))
    expect((await json(get(worker, `/stream/${job.id}`))).stream).toEqual([])
  })

  describe('on a real server', () => {
    const LIMIT = 1_000_000
    /** How many outputs the hot handler has produced so far, and whether it may stop early. */
    let produced = 0
    let mayStop = false
    const hot = {
      'a sync generator': function* () {
        for (produced = 0; produced < LIMIT && !mayStop; produced++) yield produced
      },
      'an async generator that never awaits': async function* () {
        for (produced = 0; produced < LIMIT && !mayStop; produced++) yield produced
      },
    }
    let kind: keyof typeof hot = 'a sync generator'
    const worker = serverless.start({
      handler: (job: Job<{ hot: boolean }>) => (job.input.hot ? hot[kind]() : 'quick'),
      // Aggregation off, as for a long token stream: only the log holds the outputs.
      aggregate: 'none',
    })
    let server: NodeServer
    beforeAll(async () => {
      server = await serve(worker, { port: 0, env: {} })
    })
    afterAll(() => server.close())
    const send = async (path: string, body?: unknown, headers: Record<string, string> = {}) =>
      fetch(`${server.url}${path}`, body === undefined ? { headers } : { method: 'POST', body: JSON.stringify(body), headers })

    it.each(Object.keys(hot) as Array<keyof typeof hot>)(
      '%s of up to 1,000,000 outputs does not starve the event loop: other requests are answered while it produces',
      async (name) => {
        kind = name
        mayStop = false
        const other = await (await send('/runsync', { input: { hot: false } })).json()
        expect(other).toMatchObject({ status: 'COMPLETED', output: 'quick' })

        const { id } = await (await send('/run', { input: { hot: true } })).json()
        // Each of these is a request over the network to the process the handler runs in: it is
        // answered only if the handler lets the event loop turn.
        const health = await (await send('/health')).json()
        const running = await (await send(`/status/${id}`)).json()
        const otherStatus = await (await send(`/status/${other.id}`)).json()
        const live = sseReader(await send(`/stream/${id}`, undefined, SSE))
        const firstEvents = await live.take(3)
        await live.cancel()
        const producedWhenAnswered = produced
        mayStop = true

        expect(health).toMatchObject({ jobs: { inProgress: 1 }, workers: { running: 1 } })
        expect(running).toMatchObject({ id, status: 'IN_PROGRESS' })
        expect(otherStatus).toMatchObject({ id: other.id, status: 'COMPLETED', output: 'quick' })
        expect(firstEvents.map((event) => [event.id, event.event, event.data])).toEqual([
          ['1', 'output', '0'],
          ['2', 'output', '1'],
          ['3', 'output', '2'],
        ])
        // All of that was answered before the handler was done: it had produced fewer than all.
        expect(producedWhenAnswered).toBeGreaterThan(0)
        expect(producedWhenAnswered).toBeLessThan(LIMIT)

        const ended = await (await send(`/status-sync/${id}`)).json()
        expect(ended).toMatchObject({ status: 'COMPLETED', output: [] })
        // Every output it produced is in the log once, in order: the cursor is the outputs and done.
        const tail = await (await send(`/stream/${id}?after=${produced - 3}`)).json()
        expect(tail).toMatchObject({ status: 'COMPLETED', cursor: produced + 1 })
        expect(tail.stream).toEqual([{ output: produced - 3 }, { output: produced - 2 }, { output: produced - 1 }])
      }
    )
  })
})

describe('a webhook receiver that is down or hangs', () => {
  type Mode = { mode: 'ok' | 'fail' | 'wait' }
  const handler = async function* (job: Job<Mode>) {
    yield 'first'
    if (job.input.mode === 'fail') throw new RangeError('model crashed')
    if (job.input.mode === 'wait') await new Promise((_, reject) => job.signal.addEventListener('abort', () => reject(job.signal.reason)))
  }
  // Small timeouts and retries, so that every delivery of a test has given up before it ends.
  const brief = serverless.start({ handler, returnAggregateStream: true, webhooks: { attempts: 3, initialDelay: 5, timeout: 200 } })
  // Attempts that outlast the test: a route that waited for delivery would never answer in time.
  const patient = serverless.start({ handler, returnAggregateStream: true, webhooks: { attempts: 1, timeout: 600_000 } })

  let briefServer: NodeServer
  let patientServer: NodeServer
  /** Accepts every request and answers none until the end of these tests. */
  let hanging: Awaited<ReturnType<typeof serveRecording>>
  const held: Array<(response: Response) => void> = []
  /** A port that was just opened and closed: connections to it are refused. */
  let downUrl: string
  let warn: ReturnType<typeof vi.spyOn>

  beforeAll(async () => {
    warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    briefServer = await serve(brief, { port: 0, env: {} })
    patientServer = await serve(patient, { port: 0, env: {} })
    hanging = await serveRecording({ fetch: () => new Promise<Response>((resolve) => held.push(resolve)) })
    const closed = await serveRecording({ fetch: () => new Response(null, { status: 204 }) })
    downUrl = `${closed.server.url}/hook`
    await closed.server.close()
  })
  afterAll(async () => {
    // Answer what is still held (the patient deliveries), so they end delivered, then stop.
    for (const answer of held.splice(0)) answer(new Response(null, { status: 204 }))
    await Promise.all([briefServer.close(), patientServer.close(), hanging.server.close()])
    warn.mockRestore()
  })

  const call = async (server: NodeServer, path: string, body?: unknown): Promise<any> =>
    (await fetch(`${server.url}${path}`, { method: body === undefined ? 'GET' : 'POST', body: JSON.stringify(body) })).json()

  const endings = {
    COMPLETED: { request: { input: { mode: 'ok' } }, expected: { status: 'COMPLETED', output: ['first'] } },
    FAILED: { request: { input: { mode: 'fail' } }, expected: { status: 'FAILED', output: ['first'], error: 'model crashed' } },
    TIMED_OUT: {
      request: { input: { mode: 'wait' }, policy: { executionTimeout: 30 } },
      expected: { status: 'TIMED_OUT', output: ['first'], errorDetail: { type: 'TimeoutError' } },
    },
    CANCELLED: { request: { input: { mode: 'wait' } }, expected: { status: 'CANCELLED', output: ['first'], errorDetail: { type: 'CancelledError' } } },
  }
  type Ending = keyof typeof endings

  /** Runs a job to `ending` with `webhook`: by /runsync, or /run then /cancel; answers the route's status. */
  async function endJob(server: NodeServer, ending: Ending, webhook: string): Promise<JobStatusObject> {
    const { request } = endings[ending]
    if (ending !== 'CANCELLED') return call(server, '/runsync', { ...request, webhook })
    const { id } = await call(server, '/run', { ...request, webhook })
    await vi.waitFor(async () => expect((await call(server, `/status/${id}`)).output).toEqual(['first']))
    return call(server, `/cancel/${id}`, {})
  }

  /** The worker goes on serving: a new job completes and /health counts nothing running. */
  async function stillServing(server: NodeServer) {
    expect(await call(server, '/runsync', { input: { mode: 'ok' } })).toMatchObject({ status: 'COMPLETED', output: ['first'] })
    expect(await call(server, '/health')).toMatchObject({ jobs: { inProgress: 0, inQueue: 0 }, workers: { running: 0 } })
  }

  const hostOf = (url: string) => new URL(url).host

  it.each(Object.keys(endings) as Ending[])('down (connection refused): a %s job answers its status, delivery gives up after its attempts, the worker serves on', async (ending) => {
    warn.mockClear()
    const answered = await endJob(briefServer, ending, downUrl)
    expect(answered).toMatchObject({ id: expect.any(String), status: endings[ending].expected.status })
    expect(await call(briefServer, `/status/${answered.id}`)).toMatchObject(endings[ending].expected)
    await vi.waitFor(() =>
      expect(warn).toHaveBeenCalledWith(`edgepod: webhook to ${hostOf(downUrl)} not delivered after 3 attempts: fetch failed (ECONNREFUSED)`)
    )
    expect(warn).toHaveBeenCalledTimes(1)
    expect(await call(briefServer, `/status/${answered.id}`)).toMatchObject(endings[ending].expected)
    await stillServing(briefServer)
  })

  it.each(Object.keys(endings) as Ending[])('hanging: a %s job answers its status, each attempt is abandoned after the timeout, three in all', async (ending) => {
    warn.mockClear()
    const path = `/brief/${ending}`
    const answered = await endJob(briefServer, ending, `${hanging.server.url}${path}`)
    expect(answered).toMatchObject({ status: endings[ending].expected.status })
    await vi.waitFor(
      () => expect(warn).toHaveBeenCalledWith(`edgepod: webhook to ${hostOf(hanging.server.url)} not delivered after 3 attempts: timed out after 200 ms`),
      { timeout: 5_000 }
    )
    // Bounded: the receiver saw exactly the configured attempts, however long it holds them.
    expect(hanging.requestsTo(path)).toHaveLength(3)
    expect(warn).toHaveBeenCalledTimes(1)
    expect(await call(briefServer, `/status/${answered.id}`)).toMatchObject(endings[ending].expected)
    await stillServing(briefServer)
  })

  it('hanging far longer than the test: /runsync and /cancel answer while their deliveries are still held', async () => {
    warn.mockClear()
    const completed = await endJob(patientServer, 'COMPLETED', `${hanging.server.url}/patient/completed`)
    expect(completed).toMatchObject(endings.COMPLETED.expected)
    const cancelled = await endJob(patientServer, 'CANCELLED', `${hanging.server.url}/patient/cancelled`)
    expect(cancelled).toMatchObject({ status: 'CANCELLED' })
    // Both deliveries reached the receiver, which holds them: neither has been answered or given up.
    await vi.waitFor(() => {
      expect(hanging.requestsTo('/patient/completed')).toHaveLength(1)
      expect(hanging.requestsTo('/patient/cancelled')).toHaveLength(1)
    })
    expect(hanging.requestsTo('/patient/completed')[0]).not.toHaveProperty('status')
    expect(warn).not.toHaveBeenCalled()
    expect(await call(patientServer, `/status/${cancelled.id}`)).toMatchObject(endings.CANCELLED.expected)
    await stillServing(patientServer)
  })
})

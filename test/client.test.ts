/**
 * `edgepod/client` against real edgepod servers on Node: every method with its key and typed
 * errors; streams by id and by request, with progress and log lines in order and typed job errors; resume
 * through a TCP proxy that cuts the connection mid-stream, several times; stopping (break, return,
 * signal) and what it cancels; and the polled JSON fallback, counted so it is never a tight loop.
 */
import { connect, createServer } from 'node:net'
import type { AddressInfo, Socket } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import { serverless } from 'edgepod'
import type { Job } from 'edgepod'
import type { NodeServer } from 'edgepod/node'
import {
  EdgepodConnectionError,
  EdgepodError,
  EdgepodHttpError,
  EdgepodJobError,
  createClient,
} from 'edgepod/client'
import type { ClientOf, InputOf, JobLog, JobStream, OutputOf } from 'edgepod/client'
import { backoffDelay, resolveBackoff } from '../src/client/backoff.ts'
import { serveRecording } from './helpers/recording-server.ts'
import type { SeenRequest } from './helpers/recording-server.ts'

const API_KEY = 'client-test-key'

interface Input {
  tag?: string
  /** Outputs 0, 1, …, count - 1. */
  count?: number
  /** Pause before each output after the first, ms (the job's signal cuts it short). */
  delay?: number
  /** Report `{step: i}` before each output and `{step: 'end'}` after the last. */
  progress?: boolean
  /** Log `output i` before each output (`debug` for odd ones), and `done` (`warn`) after the last. */
  logs?: boolean
  /** Throw this message after the outputs. */
  fail?: string
  /** After the outputs, wait until cancelled or timed out. */
  hang?: boolean
}

/** What handlers report back, keyed by the input's tag. */
const probes = new Map<string, { finallyRan: boolean }>()
const probe = (tag: string) => probes.get(tag) ?? (probes.set(tag, { finallyRan: false }), probes.get(tag)!)

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const onAbort = () => (clearTimeout(timer), reject(signal.reason))
    const timer = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })

async function* handler(job: Job<Input>) {
  const { tag = job.id, count = 3, delay = 0, progress = false, logs = false, fail, hang = false } = job.input ?? {}
  const p = probe(tag)
  try {
    for (let i = 0; i < count; i++) {
      if (i > 0 && delay > 0) await sleep(delay, job.signal)
      if (progress) job.progress({ step: i })
      if (logs) job.log(`output ${i}`, i % 2 === 1 ? 'debug' : undefined)
      yield i
    }
    if (progress) job.progress({ step: 'end' })
    if (logs) job.log('done', 'warn')
    if (fail !== undefined) throw new Error(fail)
    if (hang) await sleep(2 ** 30, job.signal)
  } finally {
    p.finallyRan = true
  }
}

/** The main worker, keyed. `/v2/json-only/…` (GETs) plays a proxy that drops `Accept`: SSE never gets through. */
const worker = serverless.start({ handler, returnAggregateStream: true, apiKey: API_KEY })
const front = {
  fetch(request: Request, env?: unknown) {
    if (new URL(request.url).pathname.startsWith('/v2/json-only/')) {
      const headers = new Headers(request.headers)
      headers.set('accept', 'application/json')
      request = new Request(request.url, { method: request.method, headers })
    }
    return worker.fetch(request, env)
  },
}
/** One job at a time, and polls answered at once: for the queue, and for the client's own pacing. */
const narrowWorker = serverless.start({ handler, returnAggregateStream: true, concurrencyModifier: 1, streamPollWait: 0 })

let server: NodeServer
let requests: SeenRequest[]
let requestsTo: (path: string) => SeenRequest[]
let narrow: NodeServer
let narrowRequestsTo: (path: string) => SeenRequest[]
let client: ClientOf<typeof worker>

beforeAll(async () => {
  ;({ server, requests, requestsTo } = await serveRecording(front))
  ;({ server: narrow, requestsTo: narrowRequestsTo } = await serveRecording(narrowWorker))
  // Typed from the worker itself: inputs are checked, outputs are numbers.
  client = createClient<typeof worker>({ baseUrl: server.url, apiKey: API_KEY })
})
afterAll(async () => {
  await server.close()
  await narrow.close()
})

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

/** Any type with a phantom `'~types'` types a client, not only an edgepod Worker. */
type Typed = { readonly '~types'?: { input: Input; output: number } }

/** Every output of a stream, in order. */
async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const outputs: T[] = []
  for await (const output of stream) outputs.push(output)
  return outputs
}

/** Runs `fn` and returns what it rejects with, failing the test if it resolves. */
async function rejectionOf(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

const streamPath = (id: string) => `/stream/${id}`

interface ProxyConnection {
  /** True once the proxy cut it on purpose. */
  cut: boolean
  /** The request line of the first request on it; '' for a spare connection a client opened unused. */
  request: string
  /** True once the client's side of it closed, for any reason. */
  closed: boolean
}

/**
 * A TCP proxy in front of `port`. The first `cuts` connections are cut after `cutAfter` bytes
 * from the server (the bytes before go through), as a flaky network or a proxy restart would.
 */
async function tcpProxy(port: number, options: { cutAfter?: number; cuts?: number } = {}) {
  const connections: ProxyConnection[] = []
  const sockets = new Set<Socket>()
  const proxy = createServer((client) => {
    const record: ProxyConnection = { cut: false, request: '', closed: false }
    let budget = connections.length < (options.cuts ?? 0) ? (options.cutAfter ?? 0) : Infinity
    connections.push(record)
    const upstream = connect(port, '127.0.0.1')
    sockets.add(client).add(upstream)
    client.pipe(upstream)
    client.once('data', (chunk: Buffer) => (record.request = chunk.toString('latin1').split('\r\n')[0] ?? ''))
    upstream.on('data', (chunk: Buffer) => {
      if (budget === 0) return
      if (chunk.length < budget) {
        budget -= chunk.length
        client.write(chunk)
        return
      }
      record.cut = true
      client.end(chunk.subarray(0, budget))
      budget = 0
      upstream.destroy()
    })
    upstream.on('end', () => client.end())
    const close = () => {
      record.closed = true
      client.destroy()
      upstream.destroy()
    }
    client.on('error', close).on('close', close)
    upstream.on('error', close)
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        proxy.close(() => resolve())
      })
  )
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    connections,
    /** True when every connection that carried a stream request is closed (a finished request's may be pooled). */
    streamsClosed: () => {
      const streams = connections.filter((c) => /^\w+ \/stream/.test(c.request))
      return streams.length > 0 && streams.every((c) => c.closed)
    },
  }
}

describe('the client methods', () => {
  it('runs a job, reads its status, and sends the key on every request', async () => {
    const before = requests.length
    const job = await client.run({ input: { count: 2 } })
    expect(job).toEqual({ id: expect.any(String), status: 'IN_QUEUE' })
    await expect.poll(async () => (await client.status(job.id)).status).toBe('COMPLETED')
    expect(await client.status(job.id)).toMatchObject({ id: job.id, status: 'COMPLETED', output: [0, 1] })
    const seen = requests.slice(before)
    expect(seen.length).toBeGreaterThanOrEqual(2)
    expect(seen.every((request) => request.authorization === `Bearer ${API_KEY}`)).toBe(true)
  })

  it('passes the policy to the job: its executionTimeout ends it TIMED_OUT', async () => {
    const done = await client.runSync({ input: { count: 1, hang: true }, policy: { executionTimeout: 50 } })
    expect(done).toMatchObject({ status: 'TIMED_OUT', output: [0] })
    const queued = await client.run({ input: { count: 1, hang: true }, policy: { executionTimeout: 50 } })
    await expect.poll(async () => (await client.status(queued.id)).status).toBe('TIMED_OUT')
  })

  it('refuses a bare input at the call, naming the fix, and sends nothing: it never nests as job.input.input', () => {
    const before = requests.length
    const bare = { count: 1 } as never
    expect(() => client.run(bare)).toThrow(new TypeError(
      "edgepod client: client.run takes a job request { input, webhook?, policy?, s3Config? }, and this object has no input: to send it as the job's input, call client.run({ input: yourObject })"
    ))
    expect(() => client.runSync(bare)).toThrow(TypeError)
    expect(() => client.stream(bare)).toThrow(TypeError)
    expect(() => client.run('three' as never)).toThrow('not a string: call client.run({ input: … })')
    expect(requests.length).toBe(before)
  })

  it('runSync answers the final status object, or the non-final one when wait passes first', async () => {
    expect(await client.runSync({ input: { count: 3 } })).toMatchObject({ status: 'COMPLETED', output: [0, 1, 2] })
    const pending = await client.runSync({ input: { count: 1, hang: true } }, { wait: 20 })
    expect(['IN_QUEUE', 'IN_PROGRESS']).toContain(pending.status)
    expect(requestsTo('/runsync').at(-1)?.search).toBe('?wait=20')
    const cancelled = await client.cancel(pending.id)
    expect(cancelled).toMatchObject({ id: pending.id, status: 'CANCELLED' })
    expect((await client.status(pending.id)).status).toBe('CANCELLED')
  })

  it('retries a FAILED job under the same id, and a COMPLETED one is a typed 409', async () => {
    const failed = await client.runSync({ input: { count: 1, fail: 'boom' } })
    expect(failed).toMatchObject({ status: 'FAILED', error: 'boom' })
    expect(await client.retry(failed.id)).toEqual({ id: failed.id, status: 'IN_QUEUE' })
    await expect.poll(async () => (await client.status(failed.id)).status).toBe('FAILED')

    const completed = await client.runSync({ input: { count: 1 } })
    const error = await rejectionOf(() => client.retry(completed.id))
    expect(error).toBeInstanceOf(EdgepodHttpError)
    expect(error).toMatchObject({ status: 409, code: 'invalid_state' })
  })

  it('reports health, and purges the queue (of a one-slot worker)', async () => {
    const health = await client.health()
    expect(health).toMatchObject({ jobs: { completed: expect.any(Number), inQueue: expect.any(Number) }, workers: { idle: expect.any(Number) } })

    const slim = createClient({ baseUrl: narrow.url })
    const busy = await slim.run({ input: { count: 1, hang: true } })
    cleanups.push(() => void slim.cancel(busy.id))
    await expect.poll(async () => (await slim.status(busy.id)).status).toBe('IN_PROGRESS')
    const queued = [await slim.run({ input: { count: 1 } }), await slim.run({ input: { count: 1 } })]
    expect(await slim.purgeQueue()).toEqual({ removed: 2, status: 'completed' })
    await slim.cancel(busy.id)
    for (const { id } of queued) expect((await slim.status(id)).status).toBe('CANCELLED')
  })

  it('throws EdgepodHttpError for every refusal: no key, unknown job, missing input, a proxy page', async () => {
    const keyless = createClient({ baseUrl: server.url })
    const unauthorized = await rejectionOf(() => keyless.health())
    expect(unauthorized).toBeInstanceOf(EdgepodHttpError)
    expect(unauthorized).toBeInstanceOf(EdgepodError)
    expect(unauthorized).toMatchObject({ status: 401, code: 'unauthorized', name: 'EdgepodHttpError' })

    await expect(client.status('no-such-job')).rejects.toMatchObject({ status: 404, code: 'job_not_found' })
    await expect(client.run({ input: undefined as unknown as Input })).rejects.toMatchObject({ status: 400, code: 'missing_input' })
    // A stream of an unknown job is refused at once, not retried.
    await expect(collect(client.stream('no-such-job'))).rejects.toMatchObject({ status: 404, code: 'job_not_found' })

    const behindProxy = createClient({
      baseUrl: 'http://edgepod.invalid',
      fetch: async () => new Response('<html>502 Bad Gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } }),
    })
    await expect(behindProxy.health()).rejects.toMatchObject({ status: 502, code: 'http_502', message: 'HTTP 502: <html>502 Bad Gateway</html>' })
    expect(() => createClient({ baseUrl: 'not a url' })).toThrow(TypeError)
  })

  it('works under a RunPod-style endpoint URL, /v2/<endpoint>', async () => {
    const v2 = createClient<Typed>({ baseUrl: `${server.url}/v2/my-endpoint/`, apiKey: API_KEY })
    const { id } = await v2.run({ input: { count: 2 } })
    expect(await collect(v2.stream(id))).toEqual([0, 1])
    expect(requestsTo('/v2/my-endpoint/run')).toHaveLength(1)
    expect(requestsTo(`/v2/my-endpoint/stream/${id}`)).toHaveLength(1)
  })

  it('types inputs and outputs from the worker type', () => {
    expectTypeOf<InputOf<Typed>>().toEqualTypeOf<Input>()
    expectTypeOf<OutputOf<Typed>>().toEqualTypeOf<number>()
    // The worker itself carries its types: no annotation needed.
    expectTypeOf<InputOf<typeof worker>>().toEqualTypeOf<Input>()
    expectTypeOf<OutputOf<typeof worker>>().toEqualTypeOf<number>()
    expectTypeOf(createClient<typeof worker>({ baseUrl: server.url }).stream('id')).toEqualTypeOf<JobStream<number>>()
    expectTypeOf(client.stream('id')).toEqualTypeOf<JobStream<number>>()
    expectTypeOf(createClient({ baseUrl: server.url }).stream('id')).toEqualTypeOf<JobStream<unknown>>()
    // @ts-expect-error count is a number
    const wrong = () => client.run({ input: { count: 'three' } })
    expect(wrong).toBeTypeOf('function')
  })
})

describe('client.stream', () => {
  it('streams a new job from a request (POST /stream), and knows its id', async () => {
    const stream = client.stream({ input: { count: 5, delay: 5 } })
    expect(stream.jobId).toBeUndefined()
    expect(await collect(stream)).toEqual([0, 1, 2, 3, 4])
    expect(stream.jobId).toEqual(expect.any(String))
    expect(stream.lastEventId).toBe('6')
    expect(await client.status(stream.jobId!)).toMatchObject({ status: 'COMPLETED', output: [0, 1, 2, 3, 4] })
    expect(requestsTo('/stream')).toMatchObject([{ method: 'POST', accept: 'text/event-stream' }])
  })

  it('streams a job by id from its first output, and resumes after a lastEventId', async () => {
    const { id } = await client.run({ input: { count: 4, delay: 10 } })
    expect(await collect(client.stream(id))).toEqual([0, 1, 2, 3])
    expect(await collect(client.stream(id, { lastEventId: 2 }))).toEqual([2, 3])
    expect(requestsTo(streamPath(id)).map((r) => [r.accept, r.lastEventId])).toEqual([
      ['text/event-stream', null],
      ['text/event-stream', '2'],
    ])
  })

  it('after done (204), settles from /status: nothing for COMPLETED, the typed error for FAILED', async () => {
    const completed = await client.runSync({ input: { count: 2 } })
    expect(await collect(client.stream(completed.id, { lastEventId: 3 }))).toEqual([])
    const failed = await client.runSync({ input: { count: 1, fail: 'late' } })
    const error = await rejectionOf(() => collect(client.stream(failed.id, { lastEventId: 2 })))
    expect(error).toBeInstanceOf(EdgepodJobError)
    expect(error).toMatchObject({ status: 'FAILED', error: 'late', jobId: failed.id })
    expect(requestsTo(streamPath(failed.id)).map((r) => r.status)).toEqual([204])
  })

  it('hands progress to onProgress in order with the outputs', async () => {
    const log: unknown[] = []
    for await (const output of client.stream({ input: { count: 3, progress: true } }, { onProgress: (value) => log.push(['progress', value]) })) {
      log.push(['output', output])
    }
    expect(log).toEqual([
      ['progress', { step: 0 }],
      ['output', 0],
      ['progress', { step: 1 }],
      ['output', 1],
      ['progress', { step: 2 }],
      ['output', 2],
      ['progress', { step: 'end' }],
    ])
  })

  it('hands log lines to onLog in order with the outputs and progress', async () => {
    const seen: unknown[] = []
    const stream = client.stream(
      { input: { count: 2, progress: true, logs: true } },
      { onProgress: (value) => seen.push(['progress', value]), onLog: (line) => seen.push(['log', line.level, line.message]) }
    )
    for await (const output of stream) seen.push(['output', output])
    expect(seen).toEqual([
      ['progress', { step: 0 }],
      ['log', 'info', 'output 0'],
      ['output', 0],
      ['progress', { step: 1 }],
      ['log', 'debug', 'output 1'],
      ['output', 1],
      ['progress', { step: 'end' }],
      ['log', 'warn', 'done'],
    ])
  })

  it('resumes after a lastEventId that is a log line: nothing twice, and a line has its time', async () => {
    const done = await client.runSync({ input: { count: 2, logs: true } })
    // Events: log 1, output 2, log 3, output 4, log 5, done 6.
    const lines: JobLog[] = []
    expect(await collect(client.stream(done.id, { lastEventId: 3, onLog: (line) => lines.push(line) }))).toEqual([1])
    expect(lines).toEqual([{ message: 'done', level: 'warn', time: expect.any(Number) }])
    expect(Math.abs(lines[0]!.time - Date.now())).toBeLessThan(60_000)
  })

  it('reads the recent log lines with status(id, { logs: true }), and the plain status without them', async () => {
    const done = await client.runSync({ input: { count: 2, logs: true } })
    const plain = await client.status(done.id)
    expect(plain).not.toHaveProperty('logs')
    const withLogs = await client.status(done.id, { logs: true })
    expect(withLogs).toEqual({ ...plain, logs: [
      { message: 'output 0', level: 'info', time: expect.any(Number), seq: 1 },
      { message: 'output 1', level: 'debug', time: expect.any(Number), seq: 3 },
      { message: 'done', level: 'warn', time: expect.any(Number), seq: 5 },
    ] })
    expect(requestsTo(`/status/${done.id}`).map((r) => r.search)).toEqual(['', '?logs=1'])
  })

  it('throws EdgepodJobError for FAILED, after the outputs before the failure', async () => {
    const outputs: number[] = []
    const error = await rejectionOf(async () => {
      for await (const output of client.stream({ input: { count: 2, fail: 'model crashed' } })) outputs.push(output)
    })
    expect(outputs).toEqual([0, 1])
    expect(error).toBeInstanceOf(EdgepodJobError)
    expect(error).toMatchObject({
      name: 'EdgepodJobError',
      status: 'FAILED',
      error: 'model crashed',
      errorDetail: { type: 'Error', message: 'model crashed' },
      jobId: expect.any(String),
    })
  })

  it('throws EdgepodJobError for CANCELLED', async () => {
    const { id } = await client.run({ input: { count: 1, hang: true } })
    const error = await rejectionOf(async () => {
      for await (const output of client.stream(id)) {
        expect(output).toBe(0)
        await client.cancel(id)
      }
    })
    expect(error).toBeInstanceOf(EdgepodJobError)
    expect(error).toMatchObject({ status: 'CANCELLED', jobId: id })
  })

  it('throws EdgepodJobError for TIMED_OUT (policy.executionTimeout)', async () => {
    const stream = client.stream({ input: { count: 1, hang: true }, policy: { executionTimeout: 100 } })
    const error = await rejectionOf(() => collect(stream))
    expect(error).toBeInstanceOf(EdgepodJobError)
    expect(error).toMatchObject({ status: 'TIMED_OUT', jobId: stream.jobId })
  })
})

describe('client.stream resuming', () => {
  it('gets every output exactly once, in order, through a proxy that cuts the first 3 connections mid-stream', async () => {
    const proxy = await tcpProxy(server.port, { cutAfter: 450, cuts: 3 })
    const resumed = createClient<Typed>({ baseUrl: proxy.url, apiKey: API_KEY })
    const stream = resumed.stream({ input: { count: 20, delay: 10 } })
    const outputs = await collect(stream)

    expect(outputs).toEqual(Array.from({ length: 20 }, (_, i) => i))
    expect(proxy.connections.filter((c) => c.cut)).toHaveLength(3)
    // POST /stream, then one GET per cut, each from the last event it had: ids strictly rising.
    const reconnects = requestsTo(streamPath(stream.jobId!))
    expect(reconnects).toHaveLength(3)
    const ids = reconnects.map((r) => Number(r.lastEventId))
    expect(ids.every((id, i) => id > 0 && (i === 0 || id > ids[i - 1]!))).toBe(true)
    expect(reconnects.every((r) => r.accept === 'text/event-stream' && r.status === 200)).toBe(true)
    expect(await client.status(stream.jobId!)).toMatchObject({ status: 'COMPLETED' })
  })

  it('gives up with EdgepodConnectionError after the retry attempts, saying where it was', async () => {
    const { id } = await client.run({ input: { count: 1, hang: true } })
    const proxy = await tcpProxy(server.port, { cutAfter: 1, cuts: Infinity })
    const flaky = createClient({ baseUrl: proxy.url, apiKey: API_KEY })
    const error = await rejectionOf(() => collect(flaky.stream(id, { retry: { attempts: 2, initialDelay: 10 } })))
    expect(error).toBeInstanceOf(EdgepodConnectionError)
    expect(error).toMatchObject({ jobId: id, attempts: 2, lastEventId: undefined })
    expect(proxy.connections).toHaveLength(3)
    await client.cancel(id)
  })
})

describe('the reconnect backoff', () => {
  it('doubles from initialDelay up to maxDelay, each delay jittered between half and all of it', () => {
    const backoff = resolveBackoff({ initialDelay: 100, maxDelay: 1_000 })
    expect(backoff.attempts).toBe(8)
    const ceilings = [1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(attempt, backoff, () => 1))
    expect(ceilings).toEqual([100, 200, 400, 800, 1_000, 1_000])
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(attempt, backoff, () => 0))).toEqual(ceilings.map((c) => c / 2))
    expect(() => resolveBackoff({ attempts: -1 })).toThrow(RangeError)
    expect(() => client.stream('id', { poll: { interval: Number.NaN } })).toThrow(RangeError)
  })
})

describe('stopping a stream', () => {
  it('break out of for-await cancels a job it created with POST /stream', async () => {
    const stream = client.stream({ input: { tag: 'break', count: 1000, delay: 20 } })
    for await (const output of stream) if (output === 1) break
    // return() waited for the cancel: the job is CANCELLED as soon as the loop is left.
    expect((await client.status(stream.jobId!)).status).toBe('CANCELLED')
    await expect.poll(() => probe('break').finallyRan).toBe(true)
    expect(requestsTo(`/cancel/${stream.jobId}`)).toHaveLength(1)
  })

  it('break with cancelOnAbort: false leaves the job running', async () => {
    const stream = client.stream({ input: { count: 5, delay: 30 } }, { cancelOnAbort: false })
    for await (const output of stream) if (output === 0) break
    expect(requestsTo(`/cancel/${stream.jobId}`)).toHaveLength(0)
    await expect.poll(async () => (await client.status(stream.jobId!)).status).toBe('COMPLETED')
    expect((await client.status(stream.jobId!)).output).toEqual([0, 1, 2, 3, 4])
  })

  it('break out of a stream by id closes the connection but does not cancel the job', async () => {
    const { id } = await client.run({ input: { count: 1, hang: true } })
    const proxy = await tcpProxy(server.port)
    const proxied = createClient({ baseUrl: proxy.url, apiKey: API_KEY })
    for await (const output of proxied.stream(id)) if (output === 0) break
    await expect.poll(proxy.streamsClosed).toBe(true)
    expect((await client.status(id)).status).toBe('IN_PROGRESS')
    await client.cancel(id)
  })

  it('aborting the signal closes the connection, rejects with its reason, and cancels a created job', async () => {
    const proxy = await tcpProxy(server.port)
    const proxied = createClient<Typed>({ baseUrl: proxy.url, apiKey: API_KEY })
    const controller = new AbortController()
    const reason = new Error('the user left')
    const stream = proxied.stream({ input: { tag: 'abort', count: 1, hang: true } }, { signal: controller.signal })
    const error = await rejectionOf(async () => {
      for await (const output of stream) if (output === 0) controller.abort(reason)
    })
    expect(error).toBe(reason)
    await expect.poll(proxy.streamsClosed).toBe(true)
    expect((await client.status(stream.jobId!)).status).toBe('CANCELLED')
    await expect.poll(() => probe('abort').finallyRan).toBe(true)
  })

  it('return() while next() waits ends both at once and closes the connection', async () => {
    const { id } = await client.run({ input: { count: 1, hang: true } })
    const proxy = await tcpProxy(server.port)
    const stream = createClient({ baseUrl: proxy.url, apiKey: API_KEY }).stream(id)
    expect(await stream.next()).toEqual({ done: false, value: 0 })
    const waiting = stream.next()
    await stream.return()
    expect(await waiting).toEqual({ done: true, value: undefined })
    await expect.poll(proxy.streamsClosed).toBe(true)
    expect((await client.status(id)).status).toBe('IN_PROGRESS')
    await client.cancel(id)
  })

  it('a signal aborted before the first next() sends nothing', async () => {
    const before = requests.length
    const error = await rejectionOf(() => collect(client.stream({ input: { count: 1 } }, { signal: AbortSignal.abort() })))
    expect(error).toMatchObject({ name: 'AbortError' })
    expect(requests.length).toBe(before)
  })
})

describe('client.stream polling', () => {
  it('poll: true creates the job with /run and reads ?after= pages: each output once, no SSE, few requests', async () => {
    const stream = client.stream({ input: { count: 6, delay: 60 } }, { poll: true })
    expect(await collect(stream)).toEqual([0, 1, 2, 3, 4, 5])
    const polls = requestsTo(streamPath(stream.jobId!))
    expect(polls.every((r) => r.accept === 'application/json' && r.search.startsWith('?after='))).toBe(true)
    // The server holds a poll until something is new, so about one poll per output, not a loop.
    expect(polls.length).toBeGreaterThanOrEqual(2)
    expect(polls.length).toBeLessThanOrEqual(9)
    expect(requestsTo('/run').at(-1)?.method).toBe('POST')
  })

  it('falls back to polling when an SSE request is answered with JSON (a proxy that drops Accept)', async () => {
    const { id } = await client.run({ input: { count: 4, delay: 40 } })
    const behindProxy = createClient<Typed>({ baseUrl: `${server.url}/v2/json-only`, apiKey: API_KEY })
    expect(await collect(behindProxy.stream(id))).toEqual([0, 1, 2, 3])
    const seen = requestsTo(`/v2/json-only/stream/${id}`)
    expect(seen[0]).toMatchObject({ accept: 'text/event-stream', search: '' })
    expect(seen.slice(1).every((r) => r.search.startsWith('?after='))).toBe(true)
    expect(seen.length).toBeLessThanOrEqual(8)
  })

  it('paces itself when the server answers at once: about one poll per interval while nothing is new', async () => {
    const slim = createClient<Typed>({ baseUrl: narrow.url })
    const started = Date.now()
    const stream = slim.stream({ input: { count: 2, delay: 1_200 } }, { poll: true })
    expect(await collect(stream)).toEqual([0, 1])
    const elapsed = Date.now() - started
    const polls = narrowRequestsTo(streamPath(stream.jobId!))
    // 500 ms between empty polls: a tight loop would have made hundreds in 1.2 s.
    expect(polls.length).toBeGreaterThanOrEqual(2)
    expect(polls.length).toBeLessThanOrEqual(Math.ceil(elapsed / 500) + 2)
  })

  it('throws EdgepodJobError with the errorDetail from /status when a polled job fails', async () => {
    const outputs: number[] = []
    const error = await rejectionOf(async () => {
      for await (const output of client.stream({ input: { count: 2, fail: 'polled crash' } }, { poll: { interval: 50 } })) outputs.push(output)
    })
    expect(outputs).toEqual([0, 1])
    expect(error).toBeInstanceOf(EdgepodJobError)
    expect(error).toMatchObject({ status: 'FAILED', error: 'polled crash', errorDetail: { type: 'Error', message: 'polled crash' } })
  })

  it('break out of a polled stream it created cancels the job', async () => {
    const stream = client.stream({ input: { count: 1000, delay: 20 } }, { poll: true })
    for await (const output of stream) if (output >= 1) break
    expect((await client.status(stream.jobId!)).status).toBe('CANCELLED')
  })
})

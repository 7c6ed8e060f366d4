import { EventSourceParserStream } from 'eventsource-parser/stream'
import type { EventSourceMessage } from 'eventsource-parser/stream'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { WorkerConfig } from '../config.ts'
import { start } from '../serverless.ts'
import type { Job } from '../types.ts'
import { gate } from '../../test/helpers/gate.ts'

const post = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
  new Request(`http://edgepod.test${path}`, {
    method: 'POST',
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    headers,
  })
const get = (path: string, headers: Record<string, string> = {}) => new Request(`http://edgepod.test${path}`, { headers })
const sse = { accept: 'text/event-stream' }

async function events(response: Response): Promise<EventSourceMessage[]> {
  const parsed: EventSourceMessage[] = []
  const stream = response.body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream())
  for await (const event of stream) parsed.push(event)
  return parsed
}

/** Reads an SSE body until `count` events have arrived, then leaves the rest unread. */
async function firstEvents(response: Response, count: number): Promise<{ events: EventSourceMessage[]; cancel: () => Promise<void> }> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader()
  const got: EventSourceMessage[] = []
  while (got.length < count) {
    const { done, value } = await reader.read()
    if (done) break
    got.push(value)
  }
  return { events: got, cancel: () => reader.cancel() }
}

function tokens(count: number) {
  return async function* () {
    for (let i = 0; i < count; i++) yield `token ${i}`
  }
}

const worker = (config: Partial<WorkerConfig> & Pick<WorkerConfig, 'handler'>) => start({ returnAggregateStream: true, ...config })

afterEach(() => {
  vi.useRealTimers()
})

describe('routes, at the root and under /v2/:endpointId', () => {
  for (const prefix of ['', '/v2/my-endpoint']) {
    it(`serves the whole job API at "${prefix || '/'}"`, async () => {
      const w = worker({ handler: tokens(2) })
      const run = await (await w.fetch(post(`${prefix}/run`, { input: {} }))).json()
      expect(run).toEqual({ id: expect.any(String), status: 'IN_QUEUE' })
      const sync = await (await w.fetch(post(`${prefix}/runsync`, { input: {} }))).json()
      expect(sync).toMatchObject({ status: 'COMPLETED', output: ['token 0', 'token 1'] })
      const status = await (await w.fetch(get(`${prefix}/status/${run.id}`))).json()
      expect(status).toMatchObject({ id: run.id, status: 'COMPLETED', output: ['token 0', 'token 1'] })
      const statusByPost = await (await w.fetch(post(`${prefix}/status/${run.id}`))).json()
      expect(statusByPost).toEqual(status)
      const statusSync = await (await w.fetch(get(`${prefix}/status-sync/${run.id}?wait=1000`))).json()
      expect(statusSync.status).toBe('COMPLETED')
      const polled = await (await w.fetch(get(`${prefix}/stream/${run.id}`))).json()
      expect(polled.stream).toEqual([{ output: 'token 0' }, { output: 'token 1' }])
      const stream = await w.fetch(get(`${prefix}/stream/${run.id}`, sse))
      expect((await events(stream)).map((e) => e.event)).toEqual(['output', 'output', 'done'])
      const streamed = await w.fetch(post(`${prefix}/stream`, { input: {} }))
      expect(streamed.headers.get('x-job-id')).toEqual(expect.any(String))
      expect((await events(streamed)).at(-1)?.event).toBe('done')
      const cancel = await (await w.fetch(post(`${prefix}/cancel/${run.id}`))).json()
      expect(cancel).toMatchObject({ id: run.id, status: 'COMPLETED' })
      expect((await w.fetch(post(`${prefix}/retry/${run.id}`))).status).toBe(409)
      expect(await (await w.fetch(post(`${prefix}/purge-queue`))).json()).toEqual({ removed: 0, status: 'completed' })
      const health = await (await w.fetch(get(`${prefix}/health`))).json()
      expect(health).toEqual({
        jobs: { completed: 3, failed: 0, inProgress: 0, inQueue: 0, retried: 0 },
        workers: { idle: 100, running: 0, initializing: 0, ready: 1, throttled: 0 },
      })
    })
  }

  it('answers 405 with Allow for a known path and a wrong method, 404 for unknown paths', async () => {
    const w = worker({ handler: tokens(1) })
    const wrong = await w.fetch(get('/v2/e/run'))
    expect(wrong.status).toBe(405)
    expect(wrong.headers.get('allow')).toBe('POST')
    expect(await wrong.json()).toEqual({ error: 'GET is not allowed on /v2/e/run; use POST', code: 'method_not_allowed' })
    const missing = await w.fetch(get('/nowhere'))
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({ code: 'not_found' })
  })
})

describe('HTTP errors', () => {
  const w = worker({ handler: tokens(1), maxBodyBytes: 1000 })

  it.each([
    ['invalid JSON', post('/run', '{"input": '), 400, 'invalid_json'],
    ['an empty body', post('/run', ''), 400, 'missing_input'],
    ['a body without input', post('/runsync', { inputs: 1 }), 400, 'missing_input'],
    ['a bad policy', post('/stream', { input: 1, policy: { ttl: -1 } }), 400, 'invalid_input'],
    ['a body over the limit', post('/run', { input: 'x'.repeat(2000) }), 413, 'payload_too_large'],
    ['an unknown job', get('/status/nope'), 404, 'job_not_found'],
    ['an unknown job to cancel', post('/v2/e/cancel/nope'), 404, 'job_not_found'],
    ['a malformed Last-Event-ID', new Request('http://x/stream/nope', { headers: { ...sse, 'last-event-id': 'abc' } }), 404, 'job_not_found'],
    ['a malformed wait', post('/runsync?wait=soon', { input: 1 }), 400, 'invalid_input'],
  ])('answers %s with %i %s', async (_name, request, status, code) => {
    const response = await w.fetch(request)
    expect(response.status).toBe(status)
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(await response.json()).toMatchObject({ error: expect.any(String), code })
  })

  it('answers 400 to a malformed Last-Event-ID on a real job', async () => {
    const run = await (await w.fetch(post('/run', { input: 1 }))).json()
    const response = await w.fetch(get(`/stream/${run.id}`, { ...sse, 'last-event-id': '1e3' }))
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ code: 'invalid_input', error: expect.stringContaining('Last-Event-ID') })
  })

  it('requires the API key on every route, root and /v2, when one is set', async () => {
    const secured = worker({ handler: tokens(1), apiKey: ['old-key', 'new-key'] })
    for (const path of ['/run', '/v2/e/run', '/health', '/v2/e/health', '/status/x', '/nowhere']) {
      const response = await secured.fetch(post(path, { input: 1 }))
      expect(response.status, path).toBe(401)
      expect(await response.json()).toMatchObject({ code: 'unauthorized' })
    }
    expect((await secured.fetch(post('/run', { input: 1 }, { authorization: 'Bearer wrong' }))).status).toBe(401)
    expect((await secured.fetch(post('/run', { input: 1 }, { authorization: 'Bearer old-key' }))).status).toBe(200)
    expect((await secured.fetch(get('/v2/e/health', { authorization: 'Bearer new-key' }))).status).toBe(200)
  })
})

describe('API keys from the environment', () => {
  it('requires EDGEPOD_API_KEY (several, comma-separated) when the config names no key', async () => {
    const w = worker({ handler: tokens(1) })
    const env = { EDGEPOD_API_KEY: 'key-a, key-b' }
    expect((await w.fetch(post('/run', { input: 1 }), env)).status).toBe(401)
    expect((await w.fetch(post('/run', { input: 1 }, { authorization: 'Bearer key-b' }), env)).status).toBe(200)
    expect((await w.fetch(get('/v2/e/health', { authorization: 'Bearer key-a' }), env)).status).toBe(200)
    // Without the variable the same worker is open.
    expect((await w.fetch(post('/run', { input: 1 }), {})).status).toBe(200)
  })

  it('prefers the configured keys over the environment', async () => {
    const w = worker({ handler: tokens(1), apiKey: 'configured' })
    const env = { EDGEPOD_API_KEY: 'from-env' }
    expect((await w.fetch(get('/health', { authorization: 'Bearer from-env' }), env)).status).toBe(401)
    expect((await w.fetch(get('/health', { authorization: 'Bearer configured' }), env)).status).toBe(200)
  })
})

describe('errors carry their detail, the same from every kind of handler', () => {
  const failures = {
    'a plain handler that throws': () => {
      throw new TypeError('bad prompt')
    },
    'an async handler that rejects': async () => {
      throw new TypeError('bad prompt')
    },
    'a generator that throws': function* () {
      yield 1
      throw new TypeError('bad prompt')
    },
    'an async generator that throws': async function* () {
      yield 1
      throw new TypeError('bad prompt')
    },
  }
  for (const [name, handler] of Object.entries(failures)) {
    it(`in /status and the done event, for ${name}`, async () => {
      const w = worker({ handler })
      const parsed = await events(await w.fetch(post('/stream', { input: {} })))
      const done = JSON.parse(parsed.at(-1)!.data)
      const status = await (await w.fetch(get(`/status/${done.id}`))).json()
      for (const view of [done, status]) {
        expect(view).toMatchObject({ status: 'FAILED', error: 'bad prompt', errorDetail: { type: 'TypeError', message: 'bad prompt' } })
        expect(view.errorDetail).not.toHaveProperty('stack')
      }
    })
  }

  it('includes the stack only when exposeErrorStack is set', async () => {
    const w = worker({ handler: failures['a generator that throws'], exposeErrorStack: true })
    const parsed = await events(await w.fetch(post('/stream', { input: {} })))
    expect(JSON.parse(parsed.at(-1)!.data).errorDetail.stack).toMatch(/^TypeError: bad prompt\n\s+at /)
  })
})

describe('Server-Sent Events', () => {
  it('writes the exact bytes: opening comment, one frame per event with its id, one done', async () => {
    const w = worker({
      handler: async function* (job) {
        yield 'a\nb'
        job.progress({ pct: 50 })
        yield { nested: ['ü', '😀', '\u2028'] }
      },
      workerId: 'w1',
    })
    const response = await w.fetch(post('/stream', { input: {} }))
    expect(response.status).toBe(200)
    expect(Object.fromEntries(response.headers)).toMatchObject({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      'x-job-id': expect.any(String),
    })
    const text = await response.text()
    const done = text.slice(text.indexOf('id: 4\n'))
    expect(text.slice(0, text.indexOf('id: 4\n'))).toBe(
      ': edgepod\n\n' +
        'id: 1\nevent: output\ndata: "a\\nb"\n\n' +
        'id: 2\nevent: progress\ndata: {"pct":50}\n\n' +
        'id: 3\nevent: output\ndata: {"nested":["ü","😀","\u2028"]}\n\n'
    )
    expect(done).toMatch(/^id: 4\nevent: done\ndata: \{"id":"[^"]+","status":"COMPLETED","progress":\{"pct":50\},"delayTime":\d+,"executionTime":\d+,"workerId":"w1"\}\n\n$/)
  })

  it('round-trips any JSON value through an independent parser', async () => {
    const values = ['line\r\nbreak\rcr', '\0nul', 'data: fake\n\nevent: done', { deep: [[[[{ x: null }]]]] }, 12.5, true, null, '']
    const w = worker({
      handler: function* () {
        yield* values
      },
    })
    const parsed = await events(await w.fetch(post('/stream', { input: {} })))
    expect(parsed.filter((e) => e.event === 'output').map((e) => JSON.parse(e.data))).toEqual(values)
    expect(parsed.map((e) => e.id)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9'])
  })

  it.each([
    [
      'a sync generator',
      function* () {
        for (let i = 0; i < 2000; i++) yield i
      },
    ],
    [
      // Each value takes a few microtask turns to arrive; a reader that is faster than this
      // producer still gathers them instead of writing every few events.
      'an async generator yielding values at hand',
      async function* () {
        for (let i = 0; i < 2000; i++) yield i
      },
    ],
  ])('writes ready events of %s in few chunks, not one chunk per event', async (_name, handler) => {
    const w = worker({ handler })
    const reader = (await w.fetch(post('/stream', { input: {} }))).body!.getReader()
    let chunks = 0
    let text = ''
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      chunks++
      text += new TextDecoder().decode(r.value)
    }
    expect(text.match(/event: output/g)).toHaveLength(2000)
    expect(chunks).toBeLessThan(40)
  })

  it('sends job.log lines as `log` events with their own ids, and resumes after a Last-Event-ID that is one', async () => {
    const w = worker({
      handler: async function* (job: Job) {
        job.log('loading')
        yield 'a'
        job.log('half way', 'warn')
        yield 'b'
      },
    })
    const whole = await events(await w.fetch(post('/stream', { input: {} })))
    expect(whole.map((e) => [e.id, e.event])).toEqual([['1', 'log'], ['2', 'output'], ['3', 'log'], ['4', 'output'], ['5', 'done']])
    expect(JSON.parse(whole[2]!.data)).toEqual({ message: 'half way', level: 'warn', time: expect.any(Number) })
    const id = JSON.parse(whole[4]!.data).id as string
    for (const [after, ids] of [['1', ['2', '3', '4', '5']], ['3', ['4', '5']]] as const) {
      const resumed = await events(await w.fetch(get(`/stream/${id}`, { ...sse, 'last-event-id': after })))
      expect(resumed.map((e) => e.id)).toEqual(ids)
      expect(resumed.filter((e) => e.event === 'log').map((e) => e.data)).toEqual(whole.filter((e) => Number(e.id) > Number(after) && e.event === 'log').map((e) => e.data))
    }
    // RunPod's polled stream and the aggregate carry outputs only.
    expect(await (await w.fetch(get(`/stream/${id}?after=0`))).json()).toMatchObject({ stream: [{ output: 'a' }, { output: 'b' }] })
    expect(await (await w.fetch(get(`/status/${id}`))).json()).toMatchObject({ output: ['a', 'b'] })
  })

  it('ends a reader whose Last-Event-ID is past the end of the log when the job ends', async () => {
    const { promise: released, open: release } = gate()
    const w = worker({
      handler: async function* () {
        yield 1
        await released
      },
    })
    const run = await (await w.fetch(post('/run', { input: {} }))).json()
    const response = await w.fetch(get(`/stream/${run.id}`, { ...sse, 'last-event-id': '50' }))
    release()
    expect(await events(response)).toEqual([])
  })

  it('serves a Last-Event-ID ahead of a running job: the events after it, then done (never a stall)', async () => {
    const { promise: released, open: release } = gate()
    const w = worker({
      handler: async function* () {
        yield 1
        await released
        for (let i = 2; i <= 6; i++) yield i
      },
    })
    const run = await (await w.fetch(post('/run', { input: {} }))).json()
    const response = await w.fetch(get(`/stream/${run.id}`, { ...sse, 'last-event-id': '3' }))
    release()
    const rest = await events(response)
    expect(rest.map((e) => [e.id, e.event])).toEqual([['4', 'output'], ['5', 'output'], ['6', 'output'], ['7', 'done']])
    expect(w.engine.store.jobs.readers(run.id, 0)).toBe(0)
  })

  it('ends with a done event carrying FAILED and the error when the handler throws', async () => {
    const w = worker({
      handler: async function* () {
        yield 1
        throw new Error('model crashed')
      },
    })
    const parsed = await events(await w.fetch(post('/stream', { input: {} })))
    expect(parsed.map((e) => e.event)).toEqual(['output', 'done'])
    expect(JSON.parse(parsed[1]!.data)).toMatchObject({ status: 'FAILED', error: 'model crashed', errorDetail: { type: 'Error' } })
  })

  it('resumes after Last-Event-ID (header or query) while the job is still running, losing and doubling nothing', async () => {
    const { promise: released, open: release } = gate()
    const w = worker({
      handler: async function* () {
        for (let i = 1; i <= 6; i++) {
          yield i
          if (i === 3) await released
        }
      },
    })
    const run = await (await w.fetch(post('/run', { input: {} }))).json()
    const first = await firstEvents(await w.fetch(get(`/stream/${run.id}`, sse)), 2)
    expect(first.events.map((e) => e.data)).toEqual(['1', '2'])
    await first.cancel()
    const resumed = w.fetch(get(`/stream/${run.id}`, { ...sse, 'last-event-id': '2' }))
    const byQuery = w.fetch(get(`/stream/${run.id}?lastEventId=4`, sse))
    release()
    const rest = await events(await resumed)
    expect(rest.map((e) => [e.id, e.event])).toEqual([['3', 'output'], ['4', 'output'], ['5', 'output'], ['6', 'output'], ['7', 'done']])
    expect((await events(await byQuery)).map((e) => e.id)).toEqual(['5', '6', '7'])
  })

  it('answers HEAD with the SSE headers and opens no reader', async () => {
    const w = worker({ handler: () => new Promise(() => {}) })
    const run = await (await w.fetch(post('/run', { input: {} }))).json()
    const response = await w.fetch(new Request(`http://x/stream/${run.id}`, { method: 'HEAD', headers: sse }))
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(w.engine.store.jobs.readers(run.id, 0)).toBe(0)
  })

  it('answers 204 to a reader that reconnects after it has seen done', async () => {
    const w = worker({ handler: tokens(2) })
    const sync = await (await w.fetch(post('/runsync', { input: {} }))).json()
    const response = await w.fetch(get(`/stream/${sync.id}`, { ...sse, 'last-event-id': '3' }))
    expect(response.status).toBe(204)
    expect(await response.text()).toBe('')
  })

  it('gives a reader past the end of an ended job its done, not a 204: it saw events the log lost', async () => {
    // A Durable Object that restarts loses the events of its last unwritten batch; a reader may
    // have seen them, and comes back with an id beyond the log. It must still learn how it ended.
    const w = worker({ handler: tokens(2) })
    const sync = await (await w.fetch(post('/runsync', { input: {} }))).json()
    const response = await w.fetch(get(`/stream/${sync.id}`, { ...sse, 'last-event-id': '9' }))
    expect(response.status).toBe(200)
    const text = await response.text()
    expect(text).toBe(`: edgepod\n\nid: 3\nevent: done\ndata: ${JSON.stringify(await w.engine.status(await w.engine.require(sync.id), false))}\n\n`)
  })

  it('sends a comment ping when the stream has been quiet for the keep-alive interval', async () => {
    vi.useFakeTimers()
    const w = worker({ handler: () => new Promise(() => {}), keepAlive: 15_000 })
    const response = await w.fetch(post('/stream', { input: {} }))
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
    expect((await reader.read()).value).toBe(': edgepod\n\n')
    const next = reader.read()
    await vi.advanceTimersByTimeAsync(14_999)
    let settled = false
    void next.then(() => (settled = true))
    await Promise.resolve()
    expect(settled).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect((await next).value).toBe(': ping\n\n')
    await reader.cancel()
  })

  it('cancels a POST /stream job 30 s after its reader disconnects, and not before', async () => {
    vi.useFakeTimers()
    let finallyRan = false
    const w = worker({
      handler: async function* (job) {
        try {
          yield 'start'
          await new Promise((_, reject) => job.signal.addEventListener('abort', () => reject(job.signal.reason)))
        } finally {
          finallyRan = true
        }
      },
    })
    const response = await w.fetch(post('/stream', { input: {} }))
    const id = response.headers.get('x-job-id')!
    const first = await firstEvents(response, 1)
    await first.cancel()
    await vi.advanceTimersByTimeAsync(29_999)
    expect((await (await w.fetch(get(`/status/${id}`))).json()).status).toBe('IN_PROGRESS')
    await vi.advanceTimersByTimeAsync(1)
    expect(await (await w.fetch(get(`/status/${id}`))).json()).toMatchObject({ status: 'CANCELLED', output: ['start'] })
    await vi.waitFor(() => expect(finallyRan).toBe(true))
  })
})

describe('the polled JSON stream (RunPod)', () => {
  it('drains: each output is returned by exactly one polled read', async () => {
    const { promise: released, open: release } = gate()
    const w = worker({
      handler: async function* () {
        yield 1
        yield 2
        await released
        yield 3
      },
    })
    const run = await (await w.fetch(post('/run', { input: {} }))).json()
    const poll = async () => (await w.fetch(get(`/v2/e/stream/${run.id}`, { accept: 'application/json' }))).json()
    expect(await poll()).toEqual({ id: run.id, status: 'IN_PROGRESS', stream: [{ output: 1 }, { output: 2 }] })
    const waiting = poll()
    release()
    expect(await waiting).toMatchObject({ stream: [{ output: 3 }] })
    expect(await poll()).toEqual({ id: run.id, status: 'COMPLETED', stream: [] })
  })

  it('reads without draining after a cursor', async () => {
    const w = worker({ handler: tokens(3) })
    const sync = await (await w.fetch(post('/runsync', { input: {} }))).json()
    const page = await (await w.fetch(get(`/stream/${sync.id}?after=1`))).json()
    expect(page).toEqual({
      id: sync.id,
      status: 'COMPLETED',
      stream: [{ output: 'token 1' }, { output: 'token 2' }],
      cursor: 4,
    })
    const drained = await (await w.fetch(get(`/stream/${sync.id}`))).json()
    expect(drained.stream).toHaveLength(3)
  })
})

describe('/runsync', () => {
  it('answers the non-final status when wait passes first', async () => {
    vi.useFakeTimers()
    const w = worker({ handler: () => new Promise(() => {}) })
    const pending = w.fetch(post('/runsync?wait=2000', { input: {} }))
    await vi.advanceTimersByTimeAsync(2000)
    const response = await pending
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ status: 'IN_PROGRESS', executionTime: 2000 })
  })

  it('equals what the stream delivered', async () => {
    const w = worker({
      handler: async function* (job: Job<{ n: number }>) {
        for (let i = 0; i < job.input.n; i++) yield { i, text: `t${i}` }
      },
    })
    const streamed = await events(await w.fetch(post('/stream', { input: { n: 20 } })))
    const sync = await (await w.fetch(post('/runsync', { input: { n: 20 } }))).json()
    expect(sync.output).toEqual(streamed.filter((e) => e.event === 'output').map((e) => JSON.parse(e.data)))
  })
})

describe('runtime bindings', () => {
  it('hands the handler the env and execution context of the request, and keeps the job alive with waitUntil', async () => {
    const waitUntil = vi.fn()
    let seen: Job | undefined
    const w = worker({
      handler: (job) => {
        seen = job
        return 'ok'
      },
    })
    await w.fetch(post('/runsync', { input: 1 }), { TOKEN: 't' }, { waitUntil, passThroughOnException: () => {} })
    expect(seen?.env).toEqual({ TOKEN: 't' })
    expect(seen?.executionCtx?.waitUntil).toBe(waitUntil)
    expect(waitUntil).toHaveBeenCalledOnce()
  })

  it('mounts under another Hono app', async () => {
    const { Hono } = await import('hono')
    const w = worker({ handler: tokens(1) })
    const outer = new Hono().route('/jobs', w.app)
    const response = await outer.fetch(post('/jobs/runsync', { input: 1 }))
    expect(await response.json()).toMatchObject({ status: 'COMPLETED', output: ['token 0'] })
  })
})

// One conformance suite, run against a real server on every runtime edgepod claims. Each runtime
// serves test/conformance/worker.ts in its own process; the tests speak only HTTP to it.
// EDGEPOD_RUNTIMES=node,deno narrows the list (all four by default); a runtime that fails to start
// fails its tests, never skips them. EDGEPOD_WORKERD_LOG=1 copies the Durable Object setup's
// wrangler and workerd output here, to see what the object logged.
import { EventSourceParserStream } from 'eventsource-parser/stream'
import type { EventSourceMessage } from 'eventsource-parser/stream'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONFORMANCE_KEY } from './handler.ts'
import { runtimes } from './runtimes/index.ts'
import type { RuntimeName } from './runtimes/index.ts'
import type { RuntimeServer } from './runtimes/runtime.ts'
import { startS3 } from '../helpers/s3-server.ts'
import type { TestS3 } from '../helpers/s3-server.ts'

const WORKER = 'test/conformance/worker.ts'
const chosen = (process.env['EDGEPOD_RUNTIMES']?.split(',') ?? Object.keys(runtimes)) as RuntimeName[]

/**
 * Whether a client disconnect reaches the handler, per runtime (the README's runtime table). On
 * workerd it does only because edgepod keeps every job under `ctx.waitUntil`: without it the
 * request's context is torn down and the response stream's cancel() never arrives.
 */
const detectsDisconnect: Record<RuntimeName, boolean> = { node: true, bun: true, deno: true, workerd: true, 'workerd-do': true, fleet: true }

console.log(`conformance: runtimes ${chosen.join(', ')}`)

// One S3-compatible server for every runtime: the buckets of jobs that upload.
let s3: TestS3
beforeAll(async () => {
  s3 = await startS3()
})
afterAll(async () => {
  await s3?.close()
})

for (const name of chosen) {
  describe.sequential(`conformance on ${name}`, () => {
    let server: RuntimeServer
    let base = ''
    beforeAll(async () => {
      server = await runtimes[name](WORKER)
      base = server.url
    }, 60_000)
    afterAll(async () => {
      await server?.stop()
    })

    const post = (path: string, body?: unknown, init: RequestInit = {}) =>
      fetch(`${base}${path}`, { method: 'POST', body: body === undefined ? undefined : JSON.stringify(body), ...init })
    const getJson = async (path: string) => (await fetch(`${base}${path}`)).json()
    const sse = (path: string, headers: Record<string, string> = {}, signal?: AbortSignal) =>
      fetch(`${base}${path}`, { headers: { accept: 'text/event-stream', ...headers }, signal })

    async function readEvents(response: Response, count = Infinity): Promise<EventSourceMessage[]> {
      const reader = response.body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader()
      const events: EventSourceMessage[] = []
      while (events.length < count) {
        const { done, value } = await reader.read()
        if (done) break
        events.push(value)
      }
      if (events.length >= count) await reader.cancel()
      return events
    }

    it('serves the job API at the root and under /v2/:endpointId', async () => {
      for (const prefix of ['', '/v2/ep']) {
        const run = await (await post(`${prefix}/run`, { input: { count: 2 } })).json()
        expect(run).toEqual({ id: expect.any(String), status: 'IN_QUEUE' })
        const sync = await (await post(`${prefix}/runsync`, { input: { count: 2 } })).json()
        expect(sync).toMatchObject({ status: 'COMPLETED', output: [{ i: 0 }, { i: 1 }] })
        await expect.poll(async () => (await getJson(`${prefix}/status/${run.id}`)).status).toBe('COMPLETED')
        expect(await getJson(`${prefix}/stream/${run.id}`)).toMatchObject({ status: 'COMPLETED', stream: [{ output: { i: 0 } }, { output: { i: 1 } }] })
        expect(await getJson(`${prefix}/health`)).toMatchObject({ jobs: { inProgress: expect.any(Number) }, workers: { idle: expect.any(Number) } })
      }
      expect((await getJson('/openapi.json')).openapi).toBe('3.1.0')
    })

    it('writes the exact SSE bytes: opening comment, id/event/data frames, one done', async () => {
      const response = await post('/stream', { input: { count: 2 } })
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
      expect(response.headers.get('cache-control')).toBe('no-cache, no-transform')
      expect(response.headers.get('x-accel-buffering')).toBe('no')
      const id = response.headers.get('x-job-id')
      const text = await response.text()
      const frame = (n: number) => `id: ${n + 1}\nevent: output\ndata: {"i":${n},"token":"word${n}","text":"ünï\\n\\"quoted\\""}\n\n`
      expect(text.startsWith(`: edgepod\n\n${frame(0)}${frame(1)}id: 3\nevent: done\ndata: {"id":"${id}","status":"COMPLETED",`)).toBe(true)
      expect(text.endsWith('}\n\n')).toBe(true)
      expect(text.match(/event: done/g)).toHaveLength(1)
    })

    it('orders progress with the outputs', async () => {
      const events = await readEvents(await post('/stream', { input: { mode: 'progress' } }))
      expect(events.map((e) => `${e.event}:${e.data.slice(0, 12)}`)).toEqual(['output:"a"', 'progress:{"pct":50}', 'output:"b"', expect.stringMatching(/^done:/)])
    })

    it('resumes after Last-Event-ID while the job runs, losing and doubling nothing; 204 after done', async () => {
      const { id } = await (await post('/run', { input: { count: 6, delay: 40 } })).json()
      const first = await readEvents(await sse(`/stream/${id}`), 2)
      const rest = await readEvents(await sse(`/v2/ep/stream/${id}`, { 'last-event-id': first.at(-1)!.id! }))
      const all = [...first, ...rest]
      expect(all.map((e) => e.id)).toEqual(['1', '2', '3', '4', '5', '6', '7'])
      expect(all.filter((e) => e.event === 'output').map((e) => JSON.parse(e.data).i)).toEqual([0, 1, 2, 3, 4, 5])
      expect((await sse(`/stream/${id}?lastEventId=7`)).status).toBe(204)
    })

    it('pings a quiet stream with a comment', async () => {
      const controller = new AbortController()
      const response = await post('/stream', { input: { mode: 'stuck' } }, { signal: controller.signal })
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
      let text = ''
      while (!text.includes(': ping\n\n')) text += (await reader.read()).value ?? ''
      controller.abort()
      await post(`/cancel/${response.headers.get('x-job-id')}`)
    })

    it('cancels a handler awaiting its signal: CANCELLED at once, and its finally runs', async () => {
      const { id } = await (await post('/run', { input: { tag: `cancel-${name}`, mode: 'forever' } })).json()
      await expect.poll(async () => (await getJson(`/status/${id}`)).output?.length ?? 0).toBeGreaterThan(0)
      expect(await (await post(`/cancel/${id}`)).json()).toMatchObject({ id, status: 'CANCELLED' })
      await expect.poll(async () => (await getJson(`/_probe/cancel-${name}`)).finallyRan).toBeDefined()
    })

    it('cancels a handler stuck in an await that ignores its signal: CANCELLED at once, outputs kept', async () => {
      const { id } = await (await post('/run', { input: { mode: 'stuck' } })).json()
      await expect.poll(async () => (await getJson(`/status/${id}`)).output).toEqual(['started'])
      await post(`/cancel/${id}`)
      expect(await getJson(`/status/${id}`)).toMatchObject({ status: 'CANCELLED', output: ['started'] })
    })

    it(`${detectsDisconnect[name] ? 'stops' : 'cannot stop'} a POST /stream handler when its client disconnects`, async () => {
      const tag = `gone-${name}`
      const controller = new AbortController()
      const response = await post('/stream', { input: { tag, mode: 'forever' } }, { signal: controller.signal })
      const id = response.headers.get('x-job-id')!
      await readEvents(response, 2).catch(() => [])
      controller.abort()
      if (detectsDisconnect[name]) {
        await expect.poll(async () => (await getJson(`/_probe/${tag}`)).finallyRan).toBeDefined()
        expect(await getJson(`/status/${id}`)).toMatchObject({ status: 'CANCELLED' })
      } else {
        // The handler runs on: it keeps producing after the client left, until it is cancelled.
        const before = (await getJson(`/_probe/${tag}`)).outputs as number
        await expect.poll(async () => (await getJson(`/_probe/${tag}`)).outputs).toBeGreaterThan(before + 2)
        expect((await getJson(`/status/${id}`)).status).toBe('IN_PROGRESS')
        await post(`/cancel/${id}`)
        await expect.poll(async () => (await getJson(`/_probe/${tag}`)).finallyRan).toBeDefined()
      }
    })

    it.runIf(detectsDisconnect[name])('runs the finally of a handler that ignores its signal once its client disconnected', async () => {
      // Its return() waits for its own timer: on workerd, only if the request's context is kept.
      const tag = `deaf-${name}`
      const controller = new AbortController()
      const response = await post('/stream', { input: { tag, mode: 'deaf' } }, { signal: controller.signal })
      await readEvents(response, 2).catch(() => [])
      controller.abort()
      await expect.poll(async () => (await getJson(`/_probe/${tag}`)).finallyRan).toBeDefined()
    })

    it('times each job out at its own executionTimeout, the later one after the earlier job ended', async ({ expect }) => {
      // On workerd a timer dies with the request that made it: each job's must be its own.
      const first = await (await post('/run', { input: { mode: 'forever', tag: `timeout-1-${name}` }, policy: { executionTimeout: 300 } })).json()
      const second = await (await post('/run', { input: { mode: 'forever', tag: `timeout-2-${name}` }, policy: { executionTimeout: 1_200 } })).json()
      await expect.poll(async () => (await getJson(`/status/${first.id}`)).status, { timeout: 10_000 }).toBe('TIMED_OUT')
      expect((await getJson(`/status/${second.id}`)).status).toBe('IN_PROGRESS')
      await expect.poll(async () => (await getJson(`/status/${second.id}`)).status, { timeout: 10_000 }).toBe('TIMED_OUT')
    })

    it('forgets an ended job once its ttl has passed, while requests come', async ({ expect }) => {
      // On workerd the deletion's timer dies with the request that ended the job: the next job deletes it.
      const short = await (await post('/runsync', { input: { count: 1 }, policy: { ttl: 500 } })).json()
      expect(short.status).toBe('COMPLETED')
      await new Promise((resolve) => setTimeout(resolve, 700))
      await post('/runsync', { input: { count: 1 } })
      await expect.poll(async () => (await fetch(`${base}/status/${short.id}`)).status, { timeout: 5_000 }).toBe(404)
    })

    it('ends a failed job with a done event carrying FAILED and the error', async () => {
      const events = await readEvents(await post('/stream', { input: { mode: 'fail' } }))
      expect(events.map((e) => e.event)).toEqual(['output', 'done'])
      expect(JSON.parse(events[1]!.data)).toMatchObject({ status: 'FAILED', error: 'model crashed', errorDetail: { type: 'Error' } })
    })

    it('fails an output over the event limit with payload_too_large', async () => {
      const sync = await (await post('/runsync', { input: { mode: 'big', size: 70_000 } })).json()
      expect(sync).toMatchObject({ status: 'FAILED', output: [], errorDetail: { code: 'payload_too_large' } })
    })

    it('puts files and outputs over the limit in the s3Config bucket, fetchable at their URLs; a refused upload fails upload_failed', async () => {
      const sync = await (await post('/runsync', { input: { mode: 'upload' }, s3Config: s3.s3Config })).json()
      expect(sync).toMatchObject({ status: 'COMPLETED' })
      const [hello, streamed, spilled] = sync.output as { url: string; size: number; contentType: string }[]
      expect(hello).toEqual({ url: expect.any(String), size: 22, contentType: 'text/plain; charset=utf-8' })
      expect(await (await fetch(hello!.url)).text()).toBe('hello from the runtime')
      const key = decodeURIComponent(new URL(streamed!.url).pathname.split('/').slice(2).join('/'))
      expect(key).toBe(`${sync.id}/stream.txt`)
      expect(new TextDecoder().decode((await s3.read(key))?.bytes)).toBe('streamed from the runtime')
      expect(spilled).toMatchObject({ size: 70_010, contentType: 'application/json' })
      expect(await (await fetch(spilled!.url)).json()).toEqual({ big: 'x'.repeat(70_000) })

      const wrong = 'a-wrong-secret-of-the-conformance-suite'
      const refused = await (await post('/runsync', { input: { mode: 'upload' }, s3Config: { ...s3.s3Config, accessSecret: wrong } })).json()
      expect(refused).toMatchObject({ status: 'FAILED', output: [], errorDetail: { type: 'UploadError', code: 'upload_failed' } })
      expect(refused.error).toContain('SignatureDoesNotMatch')
      // No secret in what clients see: s3rver's one key id is its secret too, and is public in every
      // presigned URL (X-Amz-Credential), so that parameter is left out of the search.
      const seen = [JSON.stringify(sync), JSON.stringify(refused), await (await fetch(`${base}/status/${sync.id}?logs=1`)).text(), await (await fetch(`${base}/status/${refused.id}?logs=1`)).text()]
      for (const text of seen.map((text) => text.replace(/X-Amz-Credential=[^&"]*/g, ''))) {
        expect(text).not.toContain(s3.accessSecret)
        expect(text).not.toContain(wrong)
      }
    })

    it('answers bad requests with the documented errors', async () => {
      const cases: Array<[Promise<Response>, number, string]> = [
        [post('/run', '{"input":' as never, { body: '{"input":' }), 400, 'invalid_json'],
        [post('/run', { nothing: 1 }), 400, 'missing_input'],
        [post('/runsync?wait=soon', { input: 1 }), 400, 'invalid_input'],
        [fetch(`${base}/status/no-such-job`), 404, 'job_not_found'],
        [fetch(`${base}/run`), 405, 'method_not_allowed'],
        [fetch(`${base}/nowhere`), 404, 'not_found'],
      ]
      for (const [pending, status, code] of cases) {
        const response = await pending
        expect([response.status, (await response.json()).code]).toEqual([status, code])
      }
      const { id } = await (await post('/runsync', { input: { count: 1 } })).json()
      const retry = await post(`/retry/${id}`)
      expect([retry.status, (await retry.json()).code]).toEqual([409, 'invalid_state'])
    })

    // Refused bodies are drained (up to 4x the limit, never kept): on workerd, a body abandoned
    // mid-upload broke the connection behind a Durable Object forward and wrangler's dev proxy.
    it('refuses a body over the limit with 413', async () => {
      const response = await post('/run', { input: 'x'.repeat(300_000) })
      const body = await response.json()
      expect([response.status, body.code]).toEqual([413, 'payload_too_large'])
      expect(body.error).toMatch(/maxBodyBytes/)
    })

    it('streams log events in order with outputs, resumes across them, and tells them in /status?logs=1', async () => {
      const events = await readEvents(await post('/stream', { input: { mode: 'log' } }))
      expect(events.map((e) => `${e.id} ${e.event}`)).toEqual(['1 log', '2 output', '3 log', '4 output', '5 done'])
      expect(JSON.parse(events[2]!.data)).toMatchObject({ message: 'cache miss', level: 'warn' })
      const id = JSON.parse(events[4]!.data).id as string
      const resumed = await readEvents(await sse(`/stream/${id}`, { 'last-event-id': '2' }))
      expect(resumed.map((e) => `${e.id} ${e.event}`)).toEqual(['3 log', '4 output', '5 done'])
      const plain = await getJson(`/status/${id}`)
      expect(plain).not.toHaveProperty('logs')
      expect((await getJson(`/status/${id}?logs=1`)).logs.map((entry: { message: string; level: string }) => `${entry.level} ${entry.message}`)).toEqual([
        'info loading weights',
        'warn cache miss',
      ])
    })

    for (const prefix of ['', '/v2/ep']) {
      const openai = (apiKey = 'none', under = '') =>
        new OpenAI({ apiKey, baseURL: `${base}${under}${prefix}/openai/v1`, maxRetries: 0 })

      it(`serves the openai client: chat streamed and whole, completions, models (${prefix || '/'})`, async () => {
        const client = openai()
        let text = ''
        for await (const chunk of await client.chat.completions.create({ model: 'conformance', messages: [{ role: 'user', content: 'hi' }], stream: true })) {
          text += chunk.choices[0]?.delta.content ?? ''
        }
        expect(text).toBe('Hello, world')
        const whole = await client.chat.completions.create({ model: 'conformance', messages: [{ role: 'user', content: 'hi' }] })
        expect(whole.choices[0]?.message.content).toBe('Hello, world')
        let completion = ''
        for await (const piece of await client.completions.create({ model: 'conformance', prompt: 'say', stream: true })) completion += piece.choices[0]?.text ?? ''
        expect(completion).toBe('Hello, world')
        expect((await client.completions.create({ model: 'conformance', prompt: 'say' })).choices[0]?.text).toBe('Hello, world')
        expect((await client.models.list()).data.map((model) => model.id)).toEqual(['conformance'])
      })

      it(`cancels the job of an openai client that breaks out of its stream, and its finally runs (${prefix || '/'})`, async () => {
        const tag = `openai-${crypto.randomUUID()}`
        const { data: stream, response } = await openai()
          .chat.completions.create({ model: 'conformance', messages: [{ role: 'user', content: `forever:${tag}` }], stream: true })
          .withResponse()
        let seen = 0
        for await (const _chunk of stream) if (++seen === 3) break
        const id = response.headers.get('x-job-id')!
        if (detectsDisconnect[name]) {
          await expect.poll(async () => (await getJson(`/status/${id}`)).status, { timeout: 10_000 }).toBe('CANCELLED')
          await expect.poll(async () => (await getJson(`/_probe/${tag}`)).finallyRan, { timeout: 10_000 }).toBeDefined()
        }
      })

      it(`refuses a bad key to the openai client as AuthenticationError (${prefix || '/'})`, async () => {
        await expect(openai('wrong', '/_keyed').models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError)
        expect((await openai(CONFORMANCE_KEY, '/_keyed').models.list()).data).toHaveLength(1)
      })
    }
  })
}

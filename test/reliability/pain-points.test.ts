/**
 * The pain points users reported against our peers, one `describe` per pain, named after it, with
 * the public threads it comes from, each proving that edgepod does not have it. Everything goes end
 * to end: a real Node server on port 0 (or a Node host that behaves like workerd, or a proxy in
 * front of one), real `fetch`, edgepod's client or the `eventsource` package where the pain is a
 * client's, and exact bytes on the wire where the bytes are the point (headers, `: ping`, `done`).
 *
 * Timing a fake clock can prove (the keep-alive cadence, the disconnect grace, a ping at the very
 * instant of a cancel) is proved with one, in-process. Bun's idle limit needs a real Bun and 13.5 s
 * of real silence: that runs in child processes, started before the first test so that it overlaps
 * the rest of the file, and is checked by the last test.
 *
 * The harness is in ./pain-points/: the scripted handler, servers, the job API, raw SSE text, the
 * fake clock, the quiet Bun stream, and the Node host that behaves like workerd.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { createServer, request as httpRequest } from 'node:http'
import type { Server } from 'node:http'
import { connect, createServer as createTcpServer } from 'node:net'
import type { AddressInfo, Socket } from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import { EventSource } from 'eventsource'
import type { ErrorEvent } from 'eventsource'
import type { EventSourceMessage } from 'eventsource-parser/stream'
import { Hono } from 'hono'
import type { MiddlewareHandler } from 'hono'
import { compress } from 'hono/compress'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { serverless } from '../../src/index.ts'
import type { Job, JobStatusObject, Worker } from '../../src/index.ts'
import type { FetchHandler, NodeServer } from '../../src/adapter/node/index.ts'
import { EdgepodJobError, createClient } from '../../src/client/index.ts'
import { serveRecording } from '../helpers/recording-server.ts'
import { sseReader } from '../helpers/sse-reader.ts'
import { FAKE, decoder, flush, getFrom, postTo, statusIn } from './pain-points/fake-clock.ts'
import { SSE, api } from './pain-points/job-api.ts'
import { BUN_QUIET_MS, quietBunStream } from './pain-points/quiet-bun-stream.ts'
import { newTag, openAt, probe, scriptedWorker, waitAt } from './pain-points/scripted-worker.ts'
import type { Script, Step } from './pain-points/scripted-worker.ts'
import { closeAll, closers, listen, listenHttp } from './pain-points/servers.ts'
import { textOf } from './pain-points/sse-text.ts'
import { workersLikeHost } from './pain-points/workers-like-host.ts'
import type { HostedRequest, Resource } from './pain-points/workers-like-host.ts'

afterAll(closeAll, 30_000)

// What the tests check SSE answers against.
const occurrences = (text: string, part: string) => text.split(part).length - 1
/** A done frame with this seq and status, at the very end of the text. */
const endsWithDone = (seq: number, status: string) =>
  new RegExp(`id: ${seq}\\nevent: done\\ndata: \\{"id":"[0-9a-f-]{36}","status":"${status}"[^\\n]*\\}\\n\\n$`)
const statusOfDone = (event: EventSourceMessage | undefined) => (JSON.parse(event?.data ?? '{}') as JobStatusObject).status

// Bun's 13.5 s of silence, started before the first test so that it overlaps the file; the last test checks it.
const quietBun = quietBunStream()
beforeAll(() => quietBun.start(), 30_000)
afterAll(() => quietBun.stop(), 30_000)

// =============================================================================================

describe('Generator/handler keeps running after client disconnect', () => {
  // trpc/trpc#5917, #6193; elysiajs/elysia#1768 (open), #341; elysiajs/stream#10; honojs/hono#2049, #1770 (open).
  // A POST /stream job belongs to its readers: when the last one leaves (disconnectGrace 0 here)
  // the job ends CANCELLED, job.signal aborts, and the generator is closed, so its finally runs,
  // whether it awaits its signal between yields or never awaits anything at all.
  let a: ReturnType<typeof api>
  beforeAll(async () => {
    a = api((await listen(scriptedWorker({ disconnectGrace: 0 }))).url)
  })

  it.each([
    ['a generator paced by an await that honours job.signal', { forever: 5 }],
    ['a hot generator, yielding as fast as it can and never awaiting', 'hot'],
  ] satisfies Array<[string, Step]>)('stops %s once its reader disconnects', async (_, step) => {
    const tag = newTag('left')
    const disconnect = new AbortController()
    const response = await a.post('/stream', { input: { tag, steps: [step] } }, { signal: disconnect.signal })
    const id = response.headers.get('x-job-id')!
    expect((await sseReader(response).take(3)).map((event) => event.data)).toEqual(['0', '1', '2'])
    disconnect.abort()

    await expect.poll(() => probe(tag).finallyRan).toBe(true)
    expect(probe(tag).abortReason).toBe('AbortError: cancelled: no reader for 0 ms')
    const status = await a.status(id)
    expect(status).toMatchObject({ status: 'CANCELLED', error: 'cancelled: no reader for 0 ms', errorDetail: { type: 'CancelledError' } })
    // What it yielded before it was stopped is kept, in order; the generator is closed, so no more can come.
    const output = status.output as number[]
    expect(output.length).toBeGreaterThanOrEqual(3)
    expect(output.every((value, i) => value === i)).toBe(true)
  })
})

describe('Runtime gives no disconnect signal at all (Workers)', () => {
  // cloudflare/workerd#4185 (open), #5611; cloudflare/workers-sdk#9334; honojs/website#769.
  // workerd never aborts request.signal; a response body is cancelled only after a write finds the
  // client gone. The host here does just that on Node: edgepod's keep-alive pings are writes, so a
  // quiet stream's departed reader is still found. On workerd itself this is proved by
  // test/workers-background.test.ts ("sees a quiet /stream reader leave only at the keep-alive
  // pings", "sees a /stream reader leave at its next writes, and cancels the job (disconnectGrace
  // 0)") and by test/conformance's "stops a POST /stream handler when its client disconnects", run
  // on workerd and workerd-do.
  const quietJob = (tag: string) => ({ input: { tag, steps: [{ out: 'started' }, 'signal'] satisfies Step[] } })

  async function leaveQuietStream(host: { url: string; requests: HostedRequest[] }, tag: string) {
    const disconnect = new AbortController()
    const response = await fetch(`${host.url}/stream`, { method: 'POST', body: JSON.stringify(quietJob(tag)), signal: disconnect.signal })
    const hosted = host.requests.at(-1)!
    await textOf(response).until((text) => text.includes('data: "started"'))
    disconnect.abort()
    return { id: response.headers.get('x-job-id')!, hosted }
  }

  it('cancels a quiet job whose reader left, found at the next keep-alive ping', async () => {
    const host = await workersLikeHost(scriptedWorker({ keepAlive: 50, disconnectGrace: 0 }))
    const tag = newTag('quiet')
    const { id } = await leaveQuietStream(host, tag)
    await expect.poll(() => probe(tag).finallyRan).toBe(true)
    expect(await api(host.url).status(id)).toMatchObject({ status: 'CANCELLED', error: 'cancelled: no reader for 0 ms' })
  })

  it('(the host gives no other signal: with no ping due, a reader that left goes unnoticed)', async () => {
    const host = await workersLikeHost(scriptedWorker({ keepAlive: 60_000, disconnectGrace: 0 }))
    const tag = newTag('unnoticed')
    const { id, hosted } = await leaveQuietStream(host, tag)
    await expect.poll(() => hosted.socketClosed).toBe(true)
    expect((await api(host.url).status(id)).status).toBe('IN_PROGRESS')
    expect(probe(tag).finallyRan).toBe(false)
    await api(host.url).post(`/cancel/${id}`)
  })
})

describe('Timeout / abort cannot interrupt a generator blocked in `await`', () => {
  // trpc/trpc#6991; elysiajs/elysia#1768 (return() waits behind a pending await).
  // edgepod records the terminal status itself, aborts job.signal (which interrupts any await that
  // honours it), and frees the slot of a handler that cannot be interrupted after cleanupTimeout.
  let a: ReturnType<typeof api>
  beforeAll(async () => {
    a = api((await listen(scriptedWorker({ concurrencyModifier: 1, cleanupTimeout: 100 }))).url)
  })

  it('ends a job stuck in an await that ignores its signal at once, and frees its slot after cleanupTimeout', async () => {
    const stuck = newTag('deaf')
    const id = await a.run({ tag: stuck, steps: [{ out: 'started' }, 'deaf'] })
    await expect.poll(async () => (await a.status(id)).output).toEqual(['started'])
    // One job at a time: the next one waits for the stuck one's slot.
    const next = await a.run({ tag: newTag('next'), steps: [{ out: 'ran' }] })
    expect((await a.status(next)).status).toBe('IN_QUEUE')

    const live = sseReader(await a.sse(`/stream/${id}`))
    expect(await live.take(1)).toMatchObject([{ id: '1', event: 'output', data: '"started"' }])
    expect(await (await a.post(`/cancel/${id}`)).json()).toMatchObject({ id, status: 'CANCELLED' })
    const rest = await live.rest()
    expect(rest).toMatchObject([{ id: '2', event: 'done' }])
    expect(JSON.parse(rest[0]!.data)).toMatchObject({ status: 'CANCELLED', error: 'cancelled by request' })

    // No JavaScript can interrupt that await, so its finally never runs; the slot is freed anyway.
    await expect.poll(async () => (await a.status(next)).status).toBe('COMPLETED')
    expect(probe(stuck).finallyRan).toBe(false)
    expect(await a.status(id)).toMatchObject({ status: 'CANCELLED', output: ['started'] })
  })

  it.each(['cancel', 'executionTimeout'])(
    'interrupts an await that honours job.signal on %s: the finally runs long before the 60 s wait would end',
    async (how) => {
      const tag = newTag(how)
      const policy = how === 'executionTimeout' ? { policy: { executionTimeout: 200 } } : {}
      const id = await a.run({ tag, steps: [{ out: 'started' }, { sleep: 60_000 }] }, policy)
      const live = sseReader(await a.sse(`/stream/${id}`))
      expect(await live.take(1)).toMatchObject([{ event: 'output', data: '"started"' }])
      if (how === 'cancel') await a.post(`/cancel/${id}`)
      const rest = await live.rest()
      expect(rest.map((event) => event.event)).toEqual(['done'])
      expect(JSON.parse(rest[0]!.data)).toMatchObject(
        how === 'cancel'
          ? { status: 'CANCELLED', errorDetail: { type: 'CancelledError' } }
          : { status: 'TIMED_OUT', error: 'execution timeout of 200 ms exceeded', errorDetail: { type: 'TimeoutError' } }
      )
      // expect.poll gives up after 1 s: far sooner than the 60 s the handler was awaiting.
      await expect.poll(() => probe(tag).finallyRan).toBe(true)
      expect(probe(tag).abortReason).toBe(
        how === 'cancel' ? 'AbortError: cancelled by request' : 'TimeoutError: execution timeout of 200 ms exceeded'
      )
    }
  )
})

describe('Keep-alive timer races with cancel → crash', () => {
  // middleapi/orpc#463 (fixed by #464): a keep-alive timer enqueued into a cancelled stream and the
  // uncaught error killed Node. edgepod's timer only marks a ping due and wakes the stream's pull,
  // which checks that the stream is still open before it writes; ending the stream clears the timer.
  it('survives pings every 1 ms racing client aborts and /cancel on 30 streams: no uncaught error, one done, nothing after it', async () => {
    const a = api((await listen(scriptedWorker({ keepAlive: 1, disconnectGrace: 0 }))).url)
    const errors: unknown[] = []
    const record = (error: unknown) => void errors.push(error)
    process.on('uncaughtException', record)
    process.on('unhandledRejection', record)
    try {
      await Promise.all(
        Array.from({ length: 30 }, async (_, n) => {
          const tag = newTag('storm')
          const disconnect = new AbortController()
          const response = await a.post('/stream', { input: { tag, steps: ['signal'] } }, { signal: disconnect.signal })
          const id = response.headers.get('x-job-id')!
          const stream = textOf(response)
          // A different ping for each stream to be interrupted at.
          await stream.until((text) => occurrences(text, ': ping\n\n') >= 1 + (n % 4))
          const way = n % 3
          if (way === 0) disconnect.abort()
          else if (way === 1) await a.post(`/cancel/${id}`)
          else await Promise.all([a.post(`/cancel/${id}`), Promise.resolve().then(() => disconnect.abort())])
          if (way === 1) {
            // Comments, then the done, and the body ends there: no ping after it.
            const text = await stream.rest()
            expect(text).toMatch(/^: edgepod\n\n(?:: ping\n\n)+id: 1\nevent: done\ndata: [^\n]+\n\n$/)
            expect(text).toMatch(endsWithDone(1, 'CANCELLED'))
          } else await stream.cancel()
          await expect.poll(() => probe(tag).finallyRan).toBe(true)
          expect((await a.status(id)).status).toBe('CANCELLED')
        })
      )
      expect(errors).toEqual([])
      expect((await a.getJson('/health'))['jobs']).toMatchObject({ inProgress: 0, inQueue: 0 })
    } finally {
      process.off('uncaughtException', record)
      process.off('unhandledRejection', record)
    }
  })

  it('at one instant of a fake clock, in every order of ping, reader leaving and job ending: no throw, nothing after the end', async () => {
    vi.useFakeTimers(FAKE)
    try {
      const worker = scriptedWorker({ disconnectGrace: 0 }) // keepAlive: the default 15 s
      const orders = ['ping, then the reader leaves', 'the reader leaves, then the ping', 'ping, then the job ends', 'the job ends, then the ping']
      for (const order of orders) {
        const tag = newTag('instant')
        const response = await worker.fetch(postTo('/stream', { input: { tag, steps: ['signal'] } }))
        const id = response.headers.get('x-job-id')!
        const reader = response.body!.getReader()
        expect(decoder.decode((await reader.read()).value)).toBe(': edgepod\n\n')
        const pending = reader.read()
        await vi.advanceTimersByTimeAsync(14_999)
        // Both in the same task: the ping timer fires, and the other party acts, in either order.
        const act = order.includes('reader')
          ? () => void reader.cancel()
          : () => void worker.engine.cancel(id) // what POST /cancel does: synchronously, on the in-memory store
        if (order.startsWith('ping')) {
          vi.advanceTimersByTime(1)
          act()
        } else {
          act()
          vi.advanceTimersByTime(1)
        }
        await flush()
        let text = ''
        for (let next = await pending; !next.done; next = await reader.read()) text += decoder.decode(next.value)
        if (order.includes('reader')) expect(text, order).toBe('')
        else expect(text, order).toMatch(new RegExp(`^(?:: ping\\n\\n)?${endsWithDone(1, 'CANCELLED').source}`))
        // Long after: no timer of that stream is left to write into it.
        await vi.advanceTimersByTimeAsync(10 * 15_000)
        expect((await statusIn(worker, id)).status, order).toBe('CANCELLED')
        expect(probe(tag).finallyRan, order).toBe(true)
      }
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('Proxy buffering of SSE', () => {
  // nginx/nginx#1505 ("Buffering breaks event streams"; the fix is `X-Accel-Buffering: no`), and
  // the many PRs that add that header. edgepod sends it on every SSE answer, and opens every stream
  // with a comment so that the headers leave at once.
  let worker: Worker
  let server: NodeServer
  let a: ReturnType<typeof api>
  beforeAll(async () => {
    worker = scriptedWorker()
    server = await listen(worker)
    a = api(server.url)
  })

  /** Sends raw HTTP/1.1 and resolves with the head and the body bytes once `enough` holds for the body. */
  function rawExchange(head: string, body: string, enough: (body: string) => boolean) {
    return new Promise<{ statusLine: string; headers: Map<string, string>; body: string }>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1')
      let text = ''
      socket.setEncoding('latin1')
      socket.on('data', (chunk: string) => {
        text += chunk
        const split = text.indexOf('\r\n\r\n')
        if (split < 0 || !enough(text.slice(split + 4))) return
        socket.destroy()
        const [statusLine = '', ...lines] = text.slice(0, split).split('\r\n')
        const headers = new Map(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]))
        resolve({ statusLine, headers, body: text.slice(split + 4) })
      })
      socket.on('error', reject)
      socket.on('close', () => reject(new Error(`closed before enough arrived:\n${text}`)))
      socket.write(`${head}\r\nHost: edgepod.test\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
    })
  }

  it('sends X-Accel-Buffering: no on every SSE route, and its opening comment before the handler has yielded anything', async () => {
    const tag = newTag('headers')
    const id = await a.run({ tag, steps: [{ gate: 'go' }, { out: 'a' }] })
    const postTag = newTag('headers-post')
    const opened = (body: string) => body.includes(': edgepod\n\n\r\n')
    const answers = [
      await rawExchange('POST /stream HTTP/1.1', JSON.stringify({ input: { tag: postTag, steps: [{ gate: 'go' }, { out: 'a' }] } }), opened),
      await rawExchange(`GET /stream/${id} HTTP/1.1\r\nAccept: text/event-stream`, '', opened),
      await rawExchange(`POST /v2/ep/stream/${id} HTTP/1.1\r\nAccept: text/event-stream\r\nLast-Event-ID: 0`, '', opened),
    ]
    for (const answer of answers) {
      expect(answer.statusLine).toBe('HTTP/1.1 200 OK')
      expect(answer.headers.get('x-accel-buffering')).toBe('no')
      expect(answer.headers.get('cache-control')).toBe('no-cache, no-transform')
      expect(answer.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
      expect(answer.headers.get('transfer-encoding')).toBe('chunked')
      expect(answer.headers.has('content-length')).toBe(false)
      // The comment is a chunk of its own (0xb = 11 bytes), sent while the job has no output yet.
      expect(answer.body).toBe('b\r\n: edgepod\n\n\r\n')
    }
    openAt(`${tag}:go`)
    openAt(`${postTag}:go`)
  })

  /** Like nginx with `proxy_buffering on` (its default): an answer is held until complete unless it says `X-Accel-Buffering: no`. */
  async function nginxLikeProxy(port: number) {
    const upstreamBodies: string[] = []
    const proxy = createServer((req, res) => {
      const upstream = httpRequest({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        const index = upstreamBodies.push('') - 1
        answer.on('data', (chunk: Buffer) => (upstreamBodies[index] += chunk.toString()))
        const headers = { ...answer.headers }
        if (answer.headers['x-accel-buffering'] === 'no') {
          res.writeHead(answer.statusCode ?? 502, headers)
          answer.pipe(res)
          return
        }
        const chunks: Buffer[] = []
        answer.on('data', (chunk: Buffer) => chunks.push(chunk))
        answer.on('end', () => {
          const body = Buffer.concat(chunks)
          delete headers['transfer-encoding']
          res.writeHead(answer.statusCode ?? 502, { ...headers, 'content-length': String(body.length) })
          res.end(body)
        })
      })
      upstream.on('error', () => res.destroy())
      res.on('close', () => upstream.destroy())
      req.pipe(upstream)
    })
    return { url: await listenHttp(proxy), upstreamBodies }
  }

  it('streams event by event through a proxy that buffers like nginx', async () => {
    const proxy = await nginxLikeProxy(server.port)
    const tag = newTag('nginx')
    const response = await fetch(`${proxy.url}/stream`, {
      method: 'POST',
      body: JSON.stringify({ input: { tag, steps: [{ out: 'a' }, { gate: 'b' }, { out: 'b' }] } }),
    })
    const stream = textOf(response)
    // Output a arrives while the job still waits at its gate: the proxy held nothing back.
    await stream.until((text) => text.includes('data: "a"'))
    openAt(`${tag}:b`)
    const text = await stream.rest()
    expect(text.startsWith(': edgepod\n\nid: 1\nevent: output\ndata: "a"\n\nid: 2\nevent: output\ndata: "b"\n\n')).toBe(true)
    expect(text).toMatch(endsWithDone(3, 'COMPLETED'))
  })

  it('(that proxy does buffer an event stream without the header: the test above has teeth)', async () => {
    const stripped: FetchHandler = {
      async fetch(request) {
        const response = await worker.fetch(request)
        const headers = new Headers(response.headers)
        headers.delete('x-accel-buffering')
        return new Response(response.body, { status: response.status, headers })
      },
    }
    const proxy = await nginxLikeProxy((await listen(stripped)).port)
    const tag = newTag('nginx-buffered')
    const order: string[] = []
    const answered = fetch(`${proxy.url}/stream`, {
      method: 'POST',
      body: JSON.stringify({ input: { tag, steps: [{ out: 'a' }, { gate: 'b' }, { out: 'b' }] } }),
    }).then((response) => (order.push('answered'), response))
    await expect.poll(() => proxy.upstreamBodies[0] ?? '').toContain('data: "a"')
    order.push('gate opened')
    openAt(`${tag}:b`)
    expect(await (await answered).text()).toMatch(endsWithDone(3, 'COMPLETED'))
    expect(order).toEqual(['gate opened', 'answered'])
  })
})

describe('Compression middleware buffers SSE', () => {
  // honojs/hono#3833 (fixed by skipping SSE); tower-rs/tower-http#419; Kludex/starlette#2753; dpskvn/express-sse#26.
  // A compressor holds bytes until it has enough to compress, so events stall. Hono's compress()
  // skips text/event-stream today, and edgepod's `Cache-Control: no-transform` makes any
  // compressor that honours it (Hono's, Express's `compression`) leave the stream alone even when
  // told to compress every type.
  const middlewares: Array<[string, MiddlewareHandler]> = [
    ['compress()', compress()],
    ['compress() told to compress every content type', compress({ contentTypeFilter: () => true })],
  ]

  it.each(middlewares)('streams event by event, uncompressed, through %s', async (_, middleware) => {
    const app = new Hono()
    app.use(middleware)
    app.route('/', scriptedWorker().app)
    const server = await listen(app)
    const headers = { 'accept-encoding': 'gzip, deflate' }

    // The middleware is live: a JSON answer of the same app is compressed.
    const openapi = await fetch(`${server.url}/openapi.json`, { headers })
    expect(openapi.headers.get('content-encoding')).toBe('gzip')
    await openapi.arrayBuffer()

    const tag = newTag('compress')
    const response = await fetch(`${server.url}/stream`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ input: { tag, steps: [{ out: 'a' }, { gate: 'b' }, { out: 'b' }] } }),
    })
    expect(response.headers.get('content-encoding')).toBeNull()
    expect(response.headers.get('cache-control')).toBe('no-cache, no-transform')
    const stream = textOf(response)
    // Output a arrives while the job still waits at its gate: no compressor is holding it.
    expect(await stream.until((text) => text.includes('data: "a"\n\n'))).toBe(': edgepod\n\nid: 1\nevent: output\ndata: "a"\n\n')
    openAt(`${tag}:b`)
    expect(await stream.rest()).toMatch(endsWithDone(3, 'COMPLETED'))
  })
})

describe('Finite streams replayed forever by auto-reconnecting clients', () => {
  // Azure/fetch-event-source#79; rexxars/eventsource-client#2; joshmossas/event-source-plus#21.
  // The end of a job's stream is final: a reconnect that has seen `done` gets 204, which the SSE
  // spec says stops EventSource; a new reader gets the log once and the body ends at `done`; and
  // edgepod's client stops at `done` without another request.
  let server: NodeServer
  let requestsTo: Awaited<ReturnType<typeof serveRecording>>['requestsTo']
  let a: ReturnType<typeof api>
  beforeAll(async () => {
    ;({ server, requestsTo } = await serveRecording(scriptedWorker()))
    closers.push(() => server.close())
    a = api(server.url)
  })

  it('the eventsource package reads the job once; its reconnect after done gets 204 and it stops for good', async () => {
    const tag = newTag('eventsource')
    const id = await a.run({ tag, steps: [{ out: 1 }, { gate: 'more' }, { out: 2 }, { out: 3 }] })
    const path = `/stream/${id}`
    const source = new EventSource(`${server.url}${path}`)
    const seen = { outputs: [] as unknown[], done: [] as string[], errors: [] as Array<number | undefined>, opens: 0 }
    source.addEventListener('open', () => seen.opens++)
    source.addEventListener('output', (event: MessageEvent) => seen.outputs.push(JSON.parse(event.data)))
    source.addEventListener('done', (event: MessageEvent) => seen.done.push(`${event.lastEventId} ${JSON.parse(event.data).status}`))
    source.addEventListener('error', (event) => seen.errors.push((event as ErrorEvent).code))
    try {
      await expect.poll(() => seen.outputs).toEqual([1])
      openAt(`${tag}:more`)
      await expect.poll(() => seen.done).toEqual(['4 COMPLETED'])
      // The body ended after done; EventSource reconnects (after its default 3 s) with
      // Last-Event-ID 4, gets 204, and closes for good instead of replaying the job.
      await expect.poll(() => source.readyState, { timeout: 8_000 }).toBe(EventSource.CLOSED)
      expect(seen.errors).toEqual([undefined, 204])
      expect(requestsTo(path).map((request) => [request.lastEventId, request.status])).toEqual([
        [null, 200],
        ['4', 204],
      ])
      expect(seen.outputs).toEqual([1, 2, 3])
      expect(seen.done).toHaveLength(1)
      expect(seen.opens).toBe(1)
      expect(probe(tag).starts).toBe(1)
    } finally {
      source.close()
    }
  }, 15_000)

  it("edgepod's client stops at the done of a POST /stream: one request, the handler run once", async () => {
    const before = requestsTo('/stream').length
    const tag = newTag('client-end')
    const stream = createClient({ baseUrl: server.url }).stream({ input: { tag, steps: [{ out: 'a' }, { out: 'b' }] } })
    const outputs: unknown[] = []
    for await (const output of stream) outputs.push(output)
    expect(outputs).toEqual(['a', 'b'])
    expect(await stream.next()).toEqual({ done: true, value: undefined })
    expect(requestsTo('/stream').slice(before)).toMatchObject([{ method: 'POST', status: 200 }])
    expect(requestsTo(`/stream/${stream.jobId}`)).toEqual([])
    expect(probe(tag).starts).toBe(1)
  })

  it('answers every reconnect after done with an empty 204, and a new reader with the log once, ending at done', async () => {
    const id = await a.run({ tag: newTag('after-done'), steps: [{ out: 'a' }, { out: 'b' }] })
    await expect.poll(async () => (await a.status(id)).status).toBe('COMPLETED')
    const reconnects = [
      a.sse(`/stream/${id}`, { 'last-event-id': '3' }),
      a.sse(`/stream/${id}?lastEventId=3`),
      a.sse(`/v2/ep/stream/${id}`, { 'last-event-id': '3' }),
    ]
    for (const pending of reconnects) {
      const response = await pending
      expect(response.status).toBe(204)
      expect(response.headers.get('content-type')).toBeNull()
      expect(await response.text()).toBe('')
    }
    // An id past the end (events a restarted Durable Object lost, or a bug) gets the done alone,
    // whose id then stops the next reconnect: one more round at most, never a replay.
    const past = await (await a.sse(`/stream/${id}`, { 'last-event-id': '99' })).text()
    expect(past).toMatch(/^: edgepod\n\nid: 3\nevent: done\ndata: [^\n]+\n\n$/)
    expect((await a.sse(`/stream/${id}`, { 'last-event-id': '3' })).status).toBe(204)
    const text = await (await a.sse(`/stream/${id}`)).text()
    expect(text.startsWith(': edgepod\n\nid: 1\nevent: output\ndata: "a"\n\nid: 2\nevent: output\ndata: "b"\n\n')).toBe(true)
    expect(text).toMatch(endsWithDone(3, 'COMPLETED'))
    expect(occurrences(text, 'event: done')).toBe(1)
  })
})

describe('Serverless max duration ends stream but client never reconnects', () => {
  // trpc/trpc#7094 (fixed by #7207); coji/durably#107.
  // A platform's max duration ends a response cleanly, which looks like the end of the stream.
  // Only `done` ends an edgepod stream: edgepod's client takes any other end for a drop, resumes
  // with Last-Event-ID, and gets every output exactly once, from the one job it created.

  /**
   * A platform limit in front of a worker, server-side: it ends SSE answers cleanly after `limit`
   * bytes, mid-frame where the limit falls, or all the open ones at once on `cutAll()`.
   */
  function maxDurationHost(worker: FetchHandler, limit = Infinity) {
    const open = new Set<() => void>()
    const host: FetchHandler = {
      async fetch(request, env) {
        const response = await worker.fetch(request, env)
        if (!response.body || !response.headers.get('content-type')?.startsWith('text/event-stream')) return response
        const upstream = response.body.getReader()
        let sent = 0
        let closed = false
        let cut = () => {}
        const body = new ReadableStream<Uint8Array>(
          {
            start(controller) {
              cut = () => {
                if (closed) return
                closed = true
                open.delete(cut)
                controller.close()
                void upstream.cancel()
              }
              open.add(cut)
            },
            async pull(controller) {
              const { done, value } = await upstream.read()
              if (closed) return
              if (done) {
                closed = true
                open.delete(cut)
                controller.close()
                return
              }
              const room = limit - sent
              sent += value.byteLength
              if (value.byteLength < room) return controller.enqueue(value)
              controller.enqueue(value.subarray(0, room))
              cut()
            },
            cancel(reason) {
              closed = true
              open.delete(cut)
              return upstream.cancel(reason)
            },
          },
          { highWaterMark: 0 }
        )
        return new Response(body, { status: response.status, headers: response.headers })
      },
    }
    return { host, cutAll: () => [...open].forEach((cut) => cut()) }
  }

  async function serveBehind(host: FetchHandler) {
    const recording = await serveRecording(host)
    closers.push(() => recording.server.close())
    return recording
  }
  const retry = { initialDelay: 1, maxDelay: 10 }

  it('resumes answers cut every 400 bytes, mid-frame: every output once, in order, from one job', async () => {
    const { host } = maxDurationHost(scriptedWorker({ disconnectGrace: 5_000 }), 400)
    const { server, requestsTo } = await serveBehind(host)
    const tag = newTag('max-duration')
    const stream = createClient({ baseUrl: server.url }).stream({ input: { tag, steps: [{ tokens: 12, pace: 2, pad: 60 }] } }, { retry })
    const outputs: unknown[] = []
    for await (const output of stream) outputs.push(output)

    expect(outputs).toEqual(Array.from({ length: 12 }, (_, i) => ({ i, pad: 'x'.repeat(60) })))
    const id = stream.jobId!
    expect(await api(server.url).status(id)).toMatchObject({ status: 'COMPLETED' })
    // One POST /stream: the job was never created again; then resumes, each from further on.
    expect(requestsTo('/stream')).toHaveLength(1)
    const resumedAfter = requestsTo(`/stream/${id}`).map((request) => Number(request.lastEventId))
    expect(resumedAfter.length).toBeGreaterThanOrEqual(2)
    expect(resumedAfter.every((after, i) => after > 0 && (i === 0 || after > resumedAfter[i - 1]!))).toBe(true)
    expect(probe(tag).starts).toBe(1)
  })

  it('resumes an answer ended while the job was quiet, and goes on live', async () => {
    const { host, cutAll } = maxDurationHost(scriptedWorker({ disconnectGrace: 5_000 }))
    const { server, requestsTo } = await serveBehind(host)
    const tag = newTag('quiet-cut')
    const steps: Step[] = [{ out: 0 }, { out: 1 }, { gate: 'cut' }, { out: 2 }, { out: 3 }, { gate: 'more' }, { out: 4 }]
    const stream = createClient({ baseUrl: server.url }).stream({ input: { tag, steps } }, { retry })
    const outputs: unknown[] = []
    const reading = (async () => {
      for await (const output of stream) outputs.push(output)
    })()
    await expect.poll(() => outputs).toEqual([0, 1])
    cutAll()
    openAt(`${tag}:cut`)
    await expect.poll(() => requestsTo(`/stream/${stream.jobId}`).length).toBe(1)
    openAt(`${tag}:more`)
    await reading
    expect(outputs).toEqual([0, 1, 2, 3, 4])
    expect(requestsTo(`/stream/${stream.jobId}`)).toMatchObject([{ lastEventId: '2', status: 200 }])
  })
})

describe('Resume infrastructure fragile (ack timeouts, lost DONE, hangs)', () => {
  // vercel/resumable-stream#42, #44, #45, #47; vercel/chatbot#1237.
  // Resume needs no acknowledgement from the producer: readers read the job's one log. Every
  // reader gets the same single `done`, however and whenever it joined, and its body ends there.
  let a: ReturnType<typeof api>
  beforeAll(async () => {
    a = api((await listen(scriptedWorker())).url)
  })

  it('delivers exactly one done, the same one, to every reader however it joined, and every body then ends', async () => {
    const tag = newTag('readers')
    const id = await a.run({ tag, steps: [{ out: 'a' }, { gate: '1' }, { out: 'b' }, { gate: '2' }, { out: 'c' }] })
    const fromStart = sseReader(await a.sse(`/stream/${id}`))
    const first = await fromStart.take(1)
    openAt(`${tag}:1`)
    await expect.poll(async () => (await a.status(id)).output).toEqual(['a', 'b'])
    // Both join while the producer is blocked: nothing to acknowledge, nothing to time out.
    const resumedMid = sseReader(await a.sse(`/stream/${id}`, { 'last-event-id': '1' }))
    const viaQuery = sseReader(await a.sse(`/v2/ep/stream/${id}?lastEventId=2`))
    openAt(`${tag}:2`)
    const [rest, mid, late] = await Promise.all([fromStart.rest(), resumedMid.rest(), viaQuery.rest()])

    expect([...first, ...rest].map((event) => event.id)).toEqual(['1', '2', '3', '4'])
    expect(mid.map((event) => event.id)).toEqual(['2', '3', '4'])
    expect(late.map((event) => event.id)).toEqual(['3', '4'])
    const dones = [rest, mid, late].map((events) => events.filter((event) => event.event === 'done'))
    expect(dones.map((found) => found.length)).toEqual([1, 1, 1])
    // The done is the status object without its output.
    const { output, ...status } = await a.status(id)
    expect(output).toEqual(['a', 'b', 'c'])
    for (const [done] of dones) expect(JSON.parse(done!.data)).toEqual(status)
  })

  it('answers a reader resuming after the end with what it missed and the done, exact to the byte, at once', async () => {
    const id = await a.run({ tag: newTag('after-end'), steps: [{ out: 'a' }, { out: 'b' }, { out: 'c' }] })
    await expect.poll(async () => (await a.status(id)).status).toBe('COMPLETED')
    const { output, ...status } = await a.status(id)
    const frames = [
      ...(output as string[]).map((value, i) => `id: ${i + 1}\nevent: output\ndata: ${JSON.stringify(value)}\n\n`),
      `id: 4\nevent: done\ndata: ${JSON.stringify(status)}\n\n`,
    ]
    for (const last of [0, 1, 2, 3]) {
      const text = await (await a.sse(`/stream/${id}`, { 'last-event-id': String(last) })).text()
      expect(text, `Last-Event-ID: ${last}`).toBe(`: edgepod\n\n${frames.slice(last).join('')}`)
    }
    expect((await a.sse(`/stream/${id}`, { 'last-event-id': '4' })).status).toBe(204)
  })

  it('never loses the done of a job that ends as its reader resumes (60 races)', async () => {
    await Promise.all(
      Array.from({ length: 60 }, async (_, n) => {
        const tag = newTag('ending')
        const id = await a.run({ tag, steps: [{ out: 'a' }, { gate: 'end' }, { out: 'b' }] })
        await expect.poll(async () => (await a.status(id)).output).toEqual(['a'])
        // The job ends before, while, or just after the resuming reader attaches.
        if (n % 3 === 0) openAt(`${tag}:end`)
        const resuming = a.sse(`/stream/${id}`, { 'last-event-id': '1' })
        if (n % 3 === 1) openAt(`${tag}:end`)
        const response = await resuming
        if (n % 3 === 2) openAt(`${tag}:end`)
        const events = await sseReader(response).rest()
        expect(events.map((event) => `${event.id} ${event.event} ${event.event === 'done' ? statusOfDone(event) : event.data}`)).toEqual([
          '2 output "b"',
          '3 done COMPLETED',
        ])
      })
    )
  })
})

describe('Resume vs. user "stop" conflict', () => {
  // AI SDK docs (v5 "not compatible"; the v7 stop endpoint, vercel/ai#15091); vercel-labs/open-agents#153 (a Redis stop signal).
  // Leaving is not stopping: a reader of a /run job can go and come back. The stop is /cancel,
  // from any connection, and a reader resuming after it gets what it missed, then the CANCELLED done.
  let url = ''
  let a: ReturnType<typeof api>
  beforeAll(async () => {
    url = (await listen(scriptedWorker({ disconnectGrace: 0 }))).url
    a = api(url)
  })

  it('a reader away while the job is cancelled resumes into the outputs it missed and the CANCELLED done', async () => {
    const tag = newTag('away')
    const id = await a.run({ tag, steps: [{ out: 1 }, { out: 2 }, { gate: 'away' }, { out: 3 }, 'signal'] })
    const leaving = new AbortController()
    const seen = await sseReader(await a.sse(`/stream/${id}`, {}, leaving.signal)).take(2)
    leaving.abort()
    openAt(`${tag}:away`)
    await expect.poll(async () => (await a.status(id)).output).toEqual([1, 2, 3])
    expect((await a.status(id)).status).toBe('IN_PROGRESS')

    // The stop comes from another connection; nothing but the job's own state is shared.
    expect(await (await a.post(`/cancel/${id}`)).json()).toMatchObject({ id, status: 'CANCELLED' })
    await expect.poll(() => probe(tag).finallyRan).toBe(true)
    const resumed = await sseReader(await a.sse(`/stream/${id}`, { 'last-event-id': seen.at(-1)!.id! })).rest()
    expect(resumed.map((event) => `${event.id} ${event.event} ${event.event === 'done' ? statusOfDone(event) : event.data}`)).toEqual([
      '3 output 3',
      '4 done CANCELLED',
    ])
  })

  it("with edgepod's client: break leaves a job by id running, cancel stops it, and resuming ends in EdgepodJobError CANCELLED", async () => {
    const client = createClient({ baseUrl: url })
    const tag = newTag('client-stop')
    const id = await a.run({ tag, steps: [{ out: 1 }, { out: 2 }, { gate: 'away' }, { out: 3 }, 'signal'] })
    const first = client.stream(id)
    const seen: unknown[] = []
    for await (const output of first) if (seen.push(output) === 2) break
    expect(first.lastEventId).toBe('2')
    expect((await client.status(id)).status).toBe('IN_PROGRESS')

    openAt(`${tag}:away`)
    await expect.poll(async () => (await client.status(id)).output).toEqual([1, 2, 3])
    expect(await client.cancel(id)).toMatchObject({ id, status: 'CANCELLED' })
    const later: unknown[] = []
    const error = await (async () => {
      try {
        for await (const output of client.stream(id, { lastEventId: first.lastEventId })) later.push(output)
      } catch (thrown) {
        return thrown
      }
    })()
    expect(later).toEqual([3])
    expect(error).toBeInstanceOf(EdgepodJobError)
    expect(error).toMatchObject({ jobId: id, status: 'CANCELLED', error: 'cancelled by request' })
  })
})

describe('Partial results lost on abort (no final callback)', () => {
  // vercel/ai#7469, #7900, #6632; vercel/chatbot#1060.
  // A job that ends early keeps what it streamed: in /status (joined here with aggregate 'concat',
  // as a chat message is), in the polled stream, and in its webhook, which goes out on every
  // terminal status: the final callback fires on abort too. The handler's own finally runs as well.
  let a: ReturnType<typeof api>
  const hooks: Array<Record<string, unknown>> = []
  let hookUrl = ''
  beforeAll(async () => {
    const receiver = createServer((req, res) => {
      let body = ''
      req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk))
      req.on('end', () => {
        hooks.push(JSON.parse(body) as Record<string, unknown>)
        res.end()
      })
    })
    hookUrl = `${await listenHttp(receiver)}/hook`
    a = api((await listen(scriptedWorker({ aggregate: 'concat', disconnectGrace: 0 }))).url)
  })
  const tokens: Step[] = [{ out: 'Hel' }, { out: 'lo' }, { out: ', wo' }]

  it.each([
    ['CANCELLED by /cancel', 'cancel', 'CANCELLED'],
    ['CANCELLED by its reader leaving', 'disconnect', 'CANCELLED'],
    ['FAILED by a throw', 'throw', 'FAILED'],
    ['TIMED_OUT', 'timeout', 'TIMED_OUT'],
  ])('keeps what a job streamed before it ended %s', async (_, how, status) => {
    const tag = newTag(how)
    const steps: Step[] = [...tokens, how === 'throw' ? { fail: 'the model crashed' } : 'signal']
    const request = { input: { tag, steps }, webhook: hookUrl, ...(how === 'timeout' ? { policy: { executionTimeout: 150 } } : {}) }
    let id: string
    if (how === 'disconnect') {
      const disconnect = new AbortController()
      const response = await a.post('/stream', request, { signal: disconnect.signal })
      id = response.headers.get('x-job-id')!
      await sseReader(response).take(3)
      disconnect.abort()
    } else {
      id = ((await (await a.post('/run', request)).json()) as { id: string }).id
      await expect.poll(async () => (await a.status(id)).output).toBe('Hello, wo')
      if (how === 'cancel') await a.post(`/cancel/${id}`)
    }
    await expect.poll(async () => (await a.status(id)).status).toBe(status)
    expect((await a.status(id)).output).toBe('Hello, wo')
    expect(await a.getJson(`/stream/${id}?after=0`)).toMatchObject({ status, stream: [{ output: 'Hel' }, { output: 'lo' }, { output: ', wo' }] })
    await expect.poll(() => hooks.filter((hook) => hook['id'] === id)).toEqual([expect.objectContaining({ id, status, output: 'Hello, wo' })])
    await expect.poll(() => probe(tag).finallyRan).toBe(true)
  })
})

describe('Per-request resources closed before the stream runs (Workers)', () => {
  // middleapi/orpc#898: a Worker's fetch returned the Response, its finally closed the database,
  // and only then did the generator run. edgepod passes every job to ctx.waitUntil until the job
  // has ended and its handler has finished its cleanup, so what a request opened lives as long as
  // the job needs it. Here on Node, through a host with Workers' lifecycle; on workerd itself,
  // test/workers-background.test.ts proves a /run job runs to its end after the response ("runs a
  // /run job to its end after the response, seen only by later requests") where work not kept by
  // waitUntil is dropped ("drops work left after the response unless it is passed to
  // ctx.waitUntil"), and test/conformance's "runs the finally of a handler that ignores its signal
  // once its client disconnected" proves a cleanup's own timer still fires after the client left.
  let host: { url: string; requests: HostedRequest[] }
  beforeAll(async () => {
    host = await workersLikeHost(
      serverless.start({
        keepAlive: 50,
        disconnectGrace: 0,
        handler: async function* (job: Job<{ tag: string; count?: number; gated?: boolean }, { db: Resource }>) {
          const { tag, count = Infinity, gated = false } = job.input
          const { db } = job.env
          try {
            for (let i = 0; i < count; i++) {
              if (gated) await waitAt(`${tag}:${i}`)
              else if (i > 0) await delay(5, undefined, { signal: job.signal })
              db.use(`output ${i}`)
              yield i
            }
          } finally {
            // Cleanup that needs the request's resource after the response may be long gone (saving
            // what was streamed), and takes time of its own: it cannot use the aborted signal.
            await delay(20)
            db.use('cleanup')
            probe(tag).finallyRan = true
          }
        },
      })
    )
  })

  it("keeps a POST /stream request's resource open after its reader left, until the handler's async cleanup is done", async () => {
    const tag = newTag('db-stream')
    const disconnect = new AbortController()
    const response = await fetch(`${host.url}/stream`, { method: 'POST', body: JSON.stringify({ input: { tag } }), signal: disconnect.signal })
    const hosted = host.requests.at(-1)!
    const id = response.headers.get('x-job-id')!
    await sseReader(response).take(2)
    disconnect.abort()

    await expect.poll(() => hosted.db.closed).toBe(true)
    const { timeline } = hosted
    expect(timeline.slice(timeline.indexOf('response over'))).toEqual(['response over', 'cleanup', 'context closed'])
    expect(timeline.slice(0, 2)).toEqual(['output 0', 'output 1'])
    expect(hosted.db.usedAfterClose).toBe(0)
    expect(hosted.waitUntil).toBeGreaterThanOrEqual(1)
    expect((await api(host.url).status(id)).status).toBe('CANCELLED')
  })

  it("keeps a /run request's resource open for the job it started, long after its response", async () => {
    const tag = newTag('db-run')
    const response = await fetch(`${host.url}/run`, { method: 'POST', body: JSON.stringify({ input: { tag, count: 3, gated: true } }) })
    const hosted = host.requests.at(-1)!
    const { id } = (await response.json()) as { id: string }
    await expect.poll(() => hosted.timeline).toEqual(['response over'])
    for (let i = 0; i < 3; i++) openAt(`${tag}:${i}`)

    await expect.poll(() => hosted.db.closed).toBe(true)
    expect(hosted.timeline).toEqual(['response over', 'output 0', 'output 1', 'output 2', 'cleanup', 'context closed'])
    expect(hosted.db.usedAfterClose).toBe(0)
    expect(await api(host.url).status(id)).toMatchObject({ status: 'COMPLETED' })
  })
})

describe('Disconnect should sometimes *not* cancel (grace window for reconnect)', () => {
  // databricks/appkit#445 (a 15 s disconnectGraceMs); aegra/aegra#323 (cancel_on_disconnect per endpoint).
  // A POST /stream job outlives its last reader by disconnectGrace (30 s by default): a reader back
  // within it resumes; past it the job is cancelled. A /run job is never cancelled by readers leaving.

  /** Opens a POST /stream job, reads `count` events, and drops the connection; returns when the server has seen it go. */
  async function readThenLeave(worker: Worker, a: ReturnType<typeof api>, input: Script, count: number) {
    const disconnect = new AbortController()
    const response = await a.post('/stream', { input }, { signal: disconnect.signal })
    const id = response.headers.get('x-job-id')!
    const seen = await sseReader(response).take(count)
    disconnect.abort()
    await expect.poll(() => worker.engine.store.jobs.readers(id, 0)).toBe(0)
    return { id, seen }
  }

  it('resumes a POST /stream job whose reader came back within disconnectGrace: nothing lost, nothing twice', async () => {
    const worker = scriptedWorker({ disconnectGrace: 5_000 })
    const a = api((await listen(worker)).url)
    const tag = newTag('back')
    const steps: Step[] = [{ out: 1 }, { out: 2 }, { gate: 'away' }, { out: 3 }, { gate: 'back' }, { out: 4 }]
    const { id, seen } = await readThenLeave(worker, a, { tag, steps }, 2)
    // Output 3 comes while nobody reads.
    openAt(`${tag}:away`)
    await expect.poll(async () => (await a.status(id)).output).toEqual([1, 2, 3])
    const resumed = sseReader(await a.sse(`/stream/${id}`, { 'last-event-id': seen.at(-1)!.id! }))
    openAt(`${tag}:back`)
    const events = [...seen, ...(await resumed.rest())]
    expect(events.map((event) => `${event.id} ${event.event} ${event.event === 'done' ? statusOfDone(event) : event.data}`)).toEqual([
      '1 output 1',
      '2 output 2',
      '3 output 3',
      '4 output 4',
      '5 done COMPLETED',
    ])
  })

  it('cancels it past disconnectGrace; a late reader gets what was kept and the CANCELLED done', async () => {
    const worker = scriptedWorker({ disconnectGrace: 100 })
    const a = api((await listen(worker)).url)
    const tag = newTag('gone')
    const { id } = await readThenLeave(worker, a, { tag, steps: [{ out: 1 }, 'signal'] }, 1)
    await expect.poll(async () => (await a.status(id)).status).toBe('CANCELLED')
    expect(await a.status(id)).toMatchObject({ error: 'cancelled: no reader for 100 ms', output: [1] })
    await expect.poll(() => probe(tag).finallyRan).toBe(true)
    const late = await sseReader(await a.sse(`/stream/${id}`, { 'last-event-id': '1' })).rest()
    expect(late.map((event) => `${event.id} ${event.event} ${statusOfDone(event)}`)).toEqual(['2 done CANCELLED'])
  })

  it('never cancels a /run job because its readers left, nor a POST /stream job while another reader stays (disconnectGrace 0)', async () => {
    const worker = scriptedWorker({ disconnectGrace: 0 })
    const a = api((await listen(worker)).url)
    const tag = newTag('run-readers')
    const id = await a.run({ tag, steps: [{ out: 1 }, { gate: 'end' }, { out: 2 }] })
    for (let i = 0; i < 2; i++) {
      const leaving = new AbortController()
      await sseReader(await a.sse(`/stream/${id}`, {}, leaving.signal)).take(1)
      leaving.abort()
    }
    await expect.poll(() => worker.engine.store.jobs.readers(id, 0)).toBe(0)
    expect((await a.status(id)).status).toBe('IN_PROGRESS')
    openAt(`${tag}:end`)
    await expect.poll(async () => (await a.status(id)).status).toBe('COMPLETED')

    const shared = newTag('shared')
    const disconnect = new AbortController()
    const creator = await a.post('/stream', { input: { tag: shared, steps: [{ out: 1 }, { gate: 'end' }, { out: 2 }] } }, { signal: disconnect.signal })
    const sharedId = creator.headers.get('x-job-id')!
    const stays = sseReader(await a.sse(`/stream/${sharedId}`))
    expect(await stays.take(1)).toMatchObject([{ data: '1' }])
    await sseReader(creator).take(1)
    disconnect.abort()
    await expect.poll(() => worker.engine.store.jobs.readers(sharedId, 0)).toBe(1)
    openAt(`${shared}:end`)
    expect((await stays.rest()).map((event) => event.event === 'done' ? statusOfDone(event) : event.data)).toEqual(['2', 'COMPLETED'])
  })

  it('counts 30 s by default from the last reader leaving; a reader coming back, or a polled read, starts it again (fake timers)', async () => {
    vi.useFakeTimers(FAKE)
    try {
      const worker = scriptedWorker()
      const tag = newTag('grace-clock')
      const response = await worker.fetch(postTo('/stream', { input: { tag, steps: [{ out: 1 }, 'signal'] } }))
      const id = response.headers.get('x-job-id')!
      const first = response.body!.getReader()
      await first.read()
      await first.cancel()
      await vi.advanceTimersByTimeAsync(29_999)
      expect((await statusIn(worker, id)).status).toBe('IN_PROGRESS')

      // Back just in time, with the last id it saw: as long as it reads, time does not count.
      const second = (await worker.fetch(getFrom(`/stream/${id}`, { ...SSE, 'last-event-id': '1' }))).body!.getReader()
      await second.read()
      await vi.advanceTimersByTimeAsync(120_000)
      expect((await statusIn(worker, id)).status).toBe('IN_PROGRESS')
      await second.cancel()
      await vi.advanceTimersByTimeAsync(29_999)
      // A RunPod client polling /stream/:id is a reader too.
      expect(JSON.parse(await (await worker.fetch(getFrom(`/stream/${id}?wait=0`))).text())).toMatchObject({ status: 'IN_PROGRESS' })
      await vi.advanceTimersByTimeAsync(29_999)
      expect((await statusIn(worker, id)).status).toBe('IN_PROGRESS')
      await vi.advanceTimersByTimeAsync(1)
      expect(await statusIn(worker, id)).toMatchObject({ status: 'CANCELLED', error: 'cancelled: no reader for 30000 ms', output: [1] })
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('Mid-stream upstream failure looks like success (truncation)', () => {
  // preloop/preloop#117; Hono without onError and Elysia's console.warn + close (their SSE helpers).
  // A failure is never a silent end of the body: the stream ends with a done whose status is
  // FAILED, with the error, and edgepod's client throws it rather than ending as if complete.
  let a: ReturnType<typeof api>
  beforeAll(async () => {
    a = api((await listen(scriptedWorker())).url)
  })

  it('ends the stream of a handler that throws mid-way with a FAILED done, exact on the wire', async () => {
    const response = await a.post('/stream', { input: { tag: newTag('throws'), steps: [{ out: 'a' }, { out: 'b' }, { fail: 'upstream closed early' }] } })
    expect(await response.text()).toMatch(
      new RegExp(
        '^: edgepod\\n\\nid: 1\\nevent: output\\ndata: "a"\\n\\nid: 2\\nevent: output\\ndata: "b"\\n\\n' +
          'id: 3\\nevent: done\\ndata: \\{"id":"[0-9a-f-]{36}","status":"FAILED","error":"upstream closed early",' +
          '"errorDetail":\\{"type":"Error","message":"upstream closed early"\\},"delayTime":\\d+,"executionTime":\\d+,"workerId":"[^"]+"\\}\\n\\n$'
      )
    )
  })

  it('fails a job relaying an upstream body that is cut mid-way, and the client throws after the outputs it got', async () => {
    // An upstream (a model server) that sends part of a 100-byte body, then drops the connection.
    const upstream = createServer((req, res) => {
      const tag = new URL(req.url ?? '/', 'http://upstream.test').searchParams.get('tag') ?? ''
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' })
      res.write('Hello, ')
      void waitAt(`${tag}:cut`).then(() => res.socket?.destroy())
    })
    const upstreamUrl = await listenHttp(upstream)
    const relay = serverless.start({
      returnAggregateStream: true,
      // A byte stream's chunks become the job's outputs, as text.
      handler: async (job: Job<{ tag: string }>) => (await fetch(`${upstreamUrl}/?tag=${job.input.tag}`, { signal: job.signal })).body,
    })
    const url = (await listen(relay)).url
    const tag = newTag('relay')
    const stream = createClient({ baseUrl: url }).stream({ input: { tag } })
    const outputs: unknown[] = []
    const error = await (async () => {
      try {
        for await (const output of stream) {
          outputs.push(output)
          openAt(`${tag}:cut`)
        }
      } catch (thrown) {
        return thrown
      }
    })()
    expect(outputs).toEqual(['Hello, '])
    expect(error).toBeInstanceOf(EdgepodJobError)
    expect(error).toMatchObject({ status: 'FAILED', error: expect.any(String), errorDetail: { type: expect.any(String) } })
    expect(await api(url).status(stream.jobId!)).toMatchObject({ status: 'FAILED', output: ['Hello, '] })
  })
})

// Last, so that Bun's 13.5 s of silence (started before the first test) overlaps everything above.
describe('Idle streams killed by proxies/LB/runtime (need heartbeats)', () => {
  // Bun's 10 s idleTimeout (bun.com/guides/http/sse); Cloudflare's 524 after 100 s idle
  // (bakape/shamichan#1284); drops after ~2 min (Wave-RF/WaveHouse#346); Node's 300 s
  // requestTimeout (modelcontextprotocol/typescript-sdk#2538).

  it('pings a quiet stream every 15 s by default, counted from the last bytes sent (fake timers)', async () => {
    vi.useFakeTimers(FAKE)
    try {
      const worker = scriptedWorker()
      const tag = newTag('cadence')
      const response = await worker.fetch(postTo('/stream', { input: { tag, steps: [{ gate: 'a' }, { out: 'a' }, { gate: 'end' }] } }))
      const t0 = Date.now()
      const received: Array<[number, string]> = []
      const reader = response.body!.getReader()
      const reading = (async () => {
        for (let next = await reader.read(); !next.done; next = await reader.read()) received.push([Date.now() - t0, decoder.decode(next.value)])
      })()
      await flush()
      await vi.advanceTimersByTimeAsync(14_999)
      await flush()
      expect(received).toEqual([[0, ': edgepod\n\n']])
      await vi.advanceTimersByTimeAsync(20_001)
      openAt(`${tag}:a`) // at 35 s: the output resets the quiet time, so the next ping is at 50 s, not 45 s
      await flush()
      await vi.advanceTimersByTimeAsync(35_000)
      openAt(`${tag}:end`) // at 70 s
      await reading
      const ping = ': ping\n\n'
      expect(received.slice(0, -1)).toEqual([
        [0, ': edgepod\n\n'],
        [15_000, ping],
        [30_000, ping],
        [35_000, 'id: 1\nevent: output\ndata: "a"\n\n'],
        [50_000, ping],
        [65_000, ping],
      ])
      expect(received.at(-1)![0]).toBe(70_000)
      expect(received.at(-1)![1]).toMatch(endsWithDone(2, 'COMPLETED'))
      // Never more than 15 s without a byte: well inside Cloudflare's 100 s and the ~2 min of load balancers.
      const gaps = received.map(([at], i) => at - (received[i - 1]?.[0] ?? 0))
      expect(Math.max(...gaps)).toBe(15_000)
    } finally {
      vi.useRealTimers()
    }
  })

  /** A TCP proxy that drops a connection on which the upstream sent nothing for `idleMs`, as load balancers do. */
  async function idleKillingProxy(port: number, idleMs: number): Promise<string> {
    const sockets = new Set<Socket>()
    const proxy = createTcpServer((client) => {
      const upstream = connect(port, '127.0.0.1')
      const drop = () => {
        client.destroy()
        upstream.destroy()
      }
      for (const socket of [client, upstream]) {
        sockets.add(socket)
        socket.on('error', drop).on('close', () => (sockets.delete(socket), drop()))
      }
      client.pipe(upstream)
      upstream.pipe(client)
      upstream.setTimeout(idleMs, drop)
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy()
          proxy.close(() => resolve())
        })
    )
    return `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
  }

  const quietJob = (tag: string) => JSON.stringify({ input: { tag, steps: [{ gate: 'late' }, { out: 'late' }] } })

  it("keeps a stream alive through a proxy's 400 ms idle limit for 3 times as long, with : ping comments, exact on the wire", async () => {
    // Pings every 100 ms against a 400 ms limit: a busy machine may stall the loop 300 ms and pass.
    const server = await listen(scriptedWorker({ keepAlive: 100 }))
    const proxy = await idleKillingProxy(server.port, 400)
    const tag = newTag('idle')
    const stream = textOf(await fetch(`${proxy}/stream`, { method: 'POST', body: quietJob(tag) }))
    // Pings are at least 100 ms of quiet apart: 12 of them span 1.2 s, three times the proxy's limit.
    await stream.until((text) => occurrences(text, ': ping\n\n') >= 12)
    openAt(`${tag}:late`)
    const text = await stream.rest()
    expect(text).toMatch(/^: edgepod\n\n(?:: ping\n\n){12,}id: 1\nevent: output\ndata: "late"\n\nid: 2\nevent: done\ndata: [^\n]+\n\n$/)
    expect(text).toMatch(endsWithDone(2, 'COMPLETED'))
  })

  it('(that proxy does drop a quiet stream: without pings, the same job loses its reader)', async () => {
    const server = await listen(scriptedWorker({ keepAlive: 60_000 }))
    const proxy = await idleKillingProxy(server.port, 400)
    const tag = newTag('idle-control')
    const stream = textOf(await fetch(`${proxy}/stream`, { method: 'POST', body: quietJob(tag) }))
    await stream.rest().catch(() => '')
    expect(stream.text).toBe(': edgepod\n\n')
    openAt(`${tag}:late`)
  })

  it("serves Node with requestTimeout 0: Node's default would end every stream at 5 minutes", async () => {
    const seen: Server[] = []
    const onRequest = (message: unknown) => void seen.push((message as { server: Server }).server)
    let port = 0
    subscribe('http.server.request.start', onRequest)
    try {
      const server = await listen(scriptedWorker())
      port = server.port
      await (await fetch(`${server.url}/health`)).arrayBuffer()
    } finally {
      unsubscribe('http.server.request.start', onRequest)
    }
    expect(createServer().requestTimeout).toBe(300_000)
    const ours = seen.filter((server) => (server.address() as AddressInfo | null)?.port === port)
    expect(ours).toHaveLength(1)
    expect(ours[0]!.requestTimeout).toBe(0)
    // Nor any socket inactivity timeout.
    expect(ours[0]!.timeout).toBe(0)
  })

  it(`survives Bun's 10 s idle limit: through edgepod's Bun adapter, ${BUN_QUIET_MS / 1000} s of silence end in done`, async () => {
    // Started in beforeAll, served by Bun and read by Node, both in child processes. With keepAlive
    // at its default 15 s, nothing is written between 'before' and 'after'; Bun.serve's own
    // default (idleTimeout 10) cuts such a response at 12 s, as measured when this test was written.
    const { status, text, error } = await quietBun.read()
    expect(error).toBeUndefined()
    expect(status).toBe(200)
    expect(text).toMatch(/^: edgepod\n\nid: 1\nevent: output\ndata: "before"\n\nid: 2\nevent: output\ndata: "after"\n\n/)
    expect(text).toMatch(endsWithDone(3, 'COMPLETED'))
  }, 30_000)
})

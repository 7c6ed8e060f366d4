/**
 * Bad input, property-based: arbitrary methods, paths, job ids, queries
 * (`?wait=`, `?after=`), headers (`Accept`, `Last-Event-ID`, `Content-Type`, `Authorization`) and
 * bodies get a 2xx or one of docs/protocol.md's 4xx answers with its code, never a 500 and never a hang,
 * and the jobs the worker already had go on to their end untouched. Run twice: on the app with
 * `Request`s (every method the fetch API can carry), and as raw bytes on a real Node server.
 */
import { connect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serve } from '../../src/adapter/node/index.ts'
import type { NodeServer } from '../../src/adapter/node/index.ts'
import { statusOfCode } from '../../src/http/http-error.ts'
import type { ErrorCode } from '../../src/errors.ts'
import { start } from '../../src/serverless.ts'
import { gate } from '../helpers/gate.ts'
import { checkedStream, sseReader } from '../helpers/sse-reader.ts'

const BASE = 'http://edgepod.test'
/** The fuzzed worker requires this key (the fuzzing offers it half the time) and allows this origin. */
const KEY = 'fuzz-key'
const AUTH = { authorization: `Bearer ${KEY}` }
const ORIGIN = 'https://app.example'
/** Long enough that only a hang can pass it: every answer here takes milliseconds. */
const HANG_MS = 5_000

/** The routes, with `:id` where a job id goes (docs/protocol.md), plus `/status-sync`. */
const ROUTES = [
  '/run',
  '/runsync',
  '/stream',
  '/stream/:id',
  '/status/:id',
  '/status-sync/:id',
  '/cancel/:id',
  '/retry/:id',
  '/purge-queue',
  '/health',
  '/openapi.json',
]

/**
 * The codes a 4xx may carry: every documented one but `queue_full`, as the fuzzed worker's queue
 * (10,000 by default) never fills here. `internal` (500) is never allowed.
 */
const codesByStatus = new Map<number, ErrorCode[]>()
for (const [code, status] of Object.entries(statusOfCode) as [ErrorCode, number][]) {
  if (status < 500 && code !== 'queue_full') codesByStatus.set(status, [...(codesByStatus.get(status) ?? []), code])
}

/**
 * A worker whose jobs end at once, echoing their input (so odd values go through the encoder too)
 * or failing when it is `"fail"` (so that `/retry` has work), except `{"kept": N}`, which waits for
 * `release` and then yields 0..N-1, and `{"running": true}`, which streams for about a second (so
 * that the fuzzing meets running jobs: waits, cancels, readers). Webhooks can only reach a closed
 * loopback port, once. Keys and CORS are on, so that their middleware meets the fuzzing too.
 */
function fuzzWorker(release: Promise<void>) {
  return start({
    handler: async function* (job) {
      const { kept: count, running } = (job.input ?? {}) as { kept?: number; running?: boolean }
      if (job.input === 'fail') throw new Error('asked to fail')
      if (running === true) {
        for (let i = 0; i < 100; i++) {
          yield i
          await sleep(10, undefined, { signal: job.signal })
        }
        return
      }
      if (typeof count !== 'number') {
        yield job.input
        yield 'second'
        return
      }
      await release
      for (let i = 0; i < count; i++) yield i
    },
    returnAggregateStream: true,
    webhooks: { attempts: 1, timeout: 1_000 },
    apiKey: KEY,
    cors: { origin: ORIGIN },
  })
}

/**
 * A job started before the fuzzing that must come through it whole: it streams as its gate opens,
 * so it is in progress (with a reader attached) the whole time.
 */
async function keptJob(fetchApi: (request: Request) => Response | Promise<Response>, release: { open(): void }) {
  const count = 50
  const { id } = await (await fetchApi(post('/run', { input: { kept: count } }))).json()
  return {
    id,
    /** Reads the job's whole SSE stream from the start and checks nothing was lost or repeated. */
    async expectWhole(fetchStream: (id: string) => Promise<Response>) {
      release.open()
      const { outputs, done } = checkedStream(await sseReader(await fetchStream(id)).rest())
      expect(outputs).toEqual(Array.from({ length: count }, (_, i) => i))
      expect(done).toMatchObject({ id, status: 'COMPLETED' })
    },
  }
}

function post(path: string, body: unknown): Request {
  return new Request(`${BASE}${path}`, { method: 'POST', body: JSON.stringify(body), headers: AUTH })
}

// --- Arbitraries -------------------------------------------------------------------------------

/** Ids: real ones of jobs made during the run, and everything a job map or a router could trip on. */
function idArbitrary(knownIds: string[]) {
  return fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 1_000 }).map((i) => knownIds[i % Math.max(knownIds.length, 1)] ?? 'none') },
    { weight: 2, arbitrary: fc.string() },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '__proto__',
        'constructor',
        'toString',
        'hasOwnProperty',
        'prototype',
        '..',
        '.',
        '%',
        '%E0%A4%A',
        '%00',
        '%2F',
        'null',
        'undefined',
        '0',
        '-1',
        'x'.repeat(10_000)
      ),
    }
  )
}

/** An id put in a path: encoded, or raw (a raw `/`, `?` or `#` changes the route: still answered). */
const placedId = (id: string, encode: boolean) => (encode ? encodeURIComponent(id) : id)

const numberish = fc.oneof(
  fc.integer().map(String),
  fc.double().map(String),
  fc.bigInt().map(String),
  fc.string({ maxLength: 12 }),
  fc.constantFrom('', ' ', '1e309', '-0', '0x10', ' 5 ', '00001', 'Infinity', 'NaN', '300001', '999999999999999999999')
)

/** A path and query: a real route (maybe under `/v2/<anything>/`) with a fuzzed id, or anything. */
function pathArbitrary(knownIds: string[]) {
  const routed = fc
    .record({
      route: fc.constantFrom(...ROUTES),
      v2: fc.oneof(fc.constant(null), fc.constant('endpoint'), fc.string({ maxLength: 20 })),
      id: idArbitrary(knownIds),
      encode: fc.boolean(),
      wait: fc.option(numberish),
      after: fc.option(numberish),
      lastEventId: fc.option(numberish),
      extra: fc.option(fc.webQueryParameters()),
    })
    .map(({ route, v2, id, encode, wait, after, lastEventId, extra }) => {
      const prefix = v2 === null ? '' : `/v2/${encodeURIComponent(v2)}`
      const query = new URLSearchParams()
      if (wait !== null) query.set('wait', wait)
      if (after !== null) query.set('after', after)
      if (lastEventId !== null) query.set('lastEventId', lastEventId)
      const search = [query.toString(), extra ?? ''].filter(Boolean).join('&')
      return `${prefix}${route.replace(':id', placedId(id, encode))}${search ? `?${search}` : ''}`
    })
  return fc.oneof({ weight: 4, arbitrary: routed }, { weight: 1, arbitrary: fc.webPath() })
}

/** Header values a fetch `Headers` accepts: Latin-1, no CR/LF/NUL, trimmed by the API anyway. */
const headerValue = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 60 })

const headersArbitrary = fc.record(
  {
    accept: fc.oneof(
      fc.constantFrom('text/event-stream', 'application/json', '*/*', 'text/event-stream;q=0', 'TEXT/EVENT-STREAM; Q=0.5', ''),
      headerValue
    ),
    'last-event-id': fc.oneof(numberish, headerValue),
    'content-type': fc.oneof(fc.constantFrom('application/json', 'text/plain', 'multipart/form-data; boundary=x'), headerValue),
    authorization: fc.oneof(
      { weight: 3, arbitrary: fc.constant(AUTH.authorization) },
      { weight: 1, arbitrary: fc.constantFrom('Bearer ', 'Bearer x', 'Basic eDp5', `bearer ${KEY}`) },
      { weight: 1, arbitrary: headerValue }
    ),
    origin: fc.oneof(fc.constantFrom(ORIGIN, 'https://evil.example', 'null'), headerValue),
    'access-control-request-method': fc.oneof(fc.constantFrom('POST', 'GET', 'DELETE'), headerValue),
    'access-control-request-headers': fc.oneof(fc.constantFrom('authorization, content-type, last-event-id', 'x-evil'), headerValue),
    'cache-control': headerValue,
  },
  { requiredKeys: [] }
)

/** What a job request's optional fields could be, right or wrong. */
const requestShape = fc.record(
  {
    input: fc.oneof(fc.jsonValue(), fc.constant(undefined)),
    // Any URL that parses goes to a closed loopback port: the fuzz never leaves the machine.
    webhook: fc.oneof(
      fc.webUrl().map((url) => `http://127.0.0.1:9${new URL(url).pathname}`),
      fc.string(),
      fc.jsonValue()
    ),
    policy: fc.oneof(
      fc.jsonValue(),
      fc.record(
        { executionTimeout: fc.oneof(fc.jsonValue(), fc.integer()), ttl: fc.oneof(fc.jsonValue(), fc.integer()), lowPriority: fc.jsonValue() },
        { requiredKeys: [] }
      )
    ),
    s3Config: fc.jsonValue(),
  },
  { requiredKeys: [] }
)

/** Nesting deep enough to break any recursive parser or serialiser. */
const deeplyNested = (depth: number) => `{"input":${'['.repeat(depth)}${']'.repeat(depth)}}`

const bodyArbitrary = fc.oneof(
  fc.constant(undefined),
  fc.uint8Array({ maxLength: 2_000 }),
  fc.string({ unit: 'binary' }),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  { weight: 3, arbitrary: requestShape.map((shape) => JSON.stringify(shape)) },
  fc.constantFrom(
    '{"input":1,"__proto__":{"polluted":true}}',
    '{"input":1,"constructor":{"prototype":{"polluted":true}}}',
    '\uFEFF{"input":"after a BOM"}',
    '{"input":"\\ud800"}',
    '{"input":1e400}',
    '{"input":1}{"input":2}'
  )
)

/** Every method a `Request` can carry (CONNECT, TRACE and TRACK are forbidden in fetch). */
const methodArbitrary = fc.oneof(
  fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'get', 'post'),
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]{0,11}$/).filter((m) => !/^(connect|trace|track)$/i.test(m))
)

// --- Checks ------------------------------------------------------------------------------------

/** Fails the test if `answer` is not settled within {@link HANG_MS}. */
async function withinHangLimit<T>(answer: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${HANG_MS} ms: ${what}`)), HANG_MS)
  })
  try {
    return await Promise.race([answer, hang])
  } finally {
    clearTimeout(timer)
  }
}

/** Asserts a documented answer: 2xx, or a 4xx whose JSON body names one of its status's codes. */
function expectDocumented(status: number, contentType: string | null, body: string, what: string): void {
  if (status >= 200 && status < 300) return
  const codes = codesByStatus.get(status)
  expect(codes, `undocumented status ${status} for ${what}: ${body.slice(0, 300)}`).toBeDefined()
  // An answer to HEAD has no body to check.
  if (what.startsWith('HEAD ') || what.startsWith('head ')) return
  expect(contentType, what).toMatch(/^application\/json/)
  const parsed = JSON.parse(body)
  expect(codes, `${what}: ${body.slice(0, 300)}`).toContain(parsed.code)
  expect(typeof parsed.error, what).toBe('string')
  // No stack or internal frame by default.
  expect(body, what).not.toMatch(/\n\s+at |node:internal|file:\/\//)
}

/** Reads an answer without waiting on a live SSE stream: its first chunk shows it is one. */
async function settledBody(response: Response): Promise<string> {
  if (!response.body) return ''
  if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
    const reader = response.body!.getReader()
    const first = await reader.read()
    await reader.cancel()
    return new TextDecoder().decode(first.value ?? new Uint8Array())
  }
  return response.text()
}

/** Ids of a few ended jobs, failed and completed, so that the fuzzing reaches real jobs from its first run. */
async function seedIds(fetchApi: (request: Request) => Response | Promise<Response>): Promise<string[]> {
  const ids: string[] = []
  for (const input of ['fail', 'fail', 'done', { nested: ['done'] }]) ids.push((await (await fetchApi(post('/runsync', { input }))).json()).id)
  return ids
}

/** Job ids a worker handed out (from `/run`, `/stream` and `/runsync` answers), for the id fuzzing. */
function collectId(knownIds: string[], response: Response, body: string): void {
  const id = response.headers.get('x-job-id') ?? (body.startsWith('{') ? tryParse(body)?.id : undefined)
  if (typeof id === 'string' && !knownIds.includes(id)) knownIds.push(id)
}

function tryParse(text: string): { id?: unknown } | undefined {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

// --- Properties --------------------------------------------------------------------------------

describe('arbitrary requests on the app', () => {
  const release = gate()
  const worker = fuzzWorker(release.promise)
  let kept: Awaited<ReturnType<typeof keptJob>>
  let done: string
  const knownIds: string[] = []

  beforeAll(async () => {
    kept = await keptJob((request) => worker.fetch(request), release)
    done = (await (await worker.fetch(post('/runsync', { input: 'finished before the fuzzing' }))).json()).id
    knownIds.push(...(await seedIds((request) => worker.fetch(request))))
  })

  it('answers every request with 2xx or a documented 4xx, never a 500 or a hang', async () => {
    let successes = 0
    let runs = 0
    await fc.assert(
      fc.asyncProperty(
        methodArbitrary,
        pathArbitrary(knownIds),
        headersArbitrary,
        bodyArbitrary,
        async (method, path, headers, body) => {
          // Now and then a job that runs for a second, for what follows to meet.
          if (runs++ % 25 === 0) collectId(knownIds, new Response(), await (await worker.fetch(post('/run', { input: { running: true } }))).text())
          const canHaveBody = !/^(GET|HEAD)$/i.test(method)
          const request = new Request(`${BASE}${path}`, { method, headers, body: canHaveBody ? body : undefined })
          const what = `${method} ${path.slice(0, 200)}`
          const response = await withinHangLimit(Promise.resolve(worker.fetch(request)), what)
          const text = await withinHangLimit(settledBody(response), `${what} (body)`)
          expectDocumented(response.status, response.headers.get('content-type'), text, what)
          collectId(knownIds, response, text)
          if (response.ok) successes++
        }
      ),
      {
        numRuns: 2_000,
        examples: [
          ['GET', '/status/__proto__', {}, undefined],
          ['POST', '/cancel/constructor', {}, undefined],
          ['GET', '/stream/none', { accept: 'text/event-stream', 'last-event-id': '-1' }, undefined],
          ['POST', '/runsync?wait=1e309', {}, '{"input":1}'],
          ['POST', '/run', {}, '{"input":1,"__proto__":{"polluted":true}}'],
        ],
      }
    )
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
    // The fuzzing reached real jobs and routes, not only 404s and 405s.
    expect(successes).toBeGreaterThan(10)
  })

  it('keeps serving the jobs it had before: the running one streams whole, the ended one is unchanged', async () => {
    await kept.expectWhole((id) => Promise.resolve(worker.fetch(new Request(`${BASE}/stream/${id}`, { headers: { Accept: 'text/event-stream', ...AUTH } }))))
    const status = await (await worker.fetch(new Request(`${BASE}/status/${done}`, { headers: AUTH }))).json()
    expect(status).toMatchObject({ id: done, status: 'COMPLETED', output: ['finished before the fuzzing', 'second'] })
    // And it takes new work.
    const next = await (await worker.fetch(post('/runsync', { input: 'after' }))).json()
    expect(next).toMatchObject({ status: 'COMPLETED', output: ['after', 'second'] })
  })

  it('takes JSON nested 10,000 and 1,000,000 deep, and a job echoing it fails cleanly instead of crashing', async () => {
    for (const depth of [10_000, 1_000_000]) {
      const response = await worker.fetch(new Request(`${BASE}/runsync`, { method: 'POST', body: deeplyNested(depth), headers: AUTH }))
      // JSON.parse takes any depth; the echo cannot be serialised back, and the job says so.
      expect(response.status).toBe(200)
      expect(await response.json()).toMatchObject({ status: 'FAILED', errorDetail: { type: 'TypeError' } })
    }
  })
})

/**
 * Raw HTTP/1.1 on a real server: header bytes the fetch API would refuse to build still reach
 * edgepod through Node's parser. The request is exactly framed (Content-Length), and `Connection:
 * close` makes the server end the answer, so a full read of the socket is the whole answer.
 */
describe('arbitrary raw requests on a real Node server', () => {
  const release = gate()
  let server: NodeServer
  let kept: Awaited<ReturnType<typeof keptJob>>
  const knownIds: string[] = []

  beforeAll(async () => {
    server = await serve(fuzzWorker(release.promise), { port: 0 })
    // The same request, sent to the server.
    const sent = async (request: Request) =>
      fetch(`${server.url}${new URL(request.url).pathname}`, { method: 'POST', body: await request.text(), headers: AUTH })
    kept = await keptJob(sent, release)
    knownIds.push(...(await seedIds(sent)))
  })
  afterAll(() => server?.close())

  /** Node's parser knows these methods; others it answers 400 itself, before any app sees them. */
  const nodeMethod = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'PROPFIND', 'LOCK', 'PURGE')
  /**
   * Any byte HTTP allows in a field value (tab, visible ASCII, space, obs-text 0x80–0xFF), which
   * Node passes on; it answers other control bytes 400 itself, before any app sees them.
   */
  const rawHeaderValue = fc.string({
    unit: fc.integer({ min: 0x1f, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c === 0x1f ? 0x09 : c)),
    maxLength: 60,
  })

  it('answers every raw request with 2xx or a documented 4xx, never a 500 or a hang', async () => {
    await fc.assert(
      fc.asyncProperty(
        nodeMethod,
        pathArbitrary(knownIds),
        fc.record(
          {
            accept: rawHeaderValue,
            'last-event-id': fc.oneof(numberish, rawHeaderValue),
            authorization: fc.oneof(fc.constant(AUTH.authorization), rawHeaderValue),
            origin: fc.oneof(fc.constant(ORIGIN), rawHeaderValue),
            'content-type': rawHeaderValue,
          },
          { requiredKeys: [] }
        ),
        bodyArbitrary,
        async (method, path, headers, body) => {
          const target = requestTarget(path)
          const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body ?? new Uint8Array())
          const lines = [`${method} ${target} HTTP/1.1`, 'Host: edgepod.test', 'Connection: close', `Content-Length: ${bytes.length}`]
          for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`)
          const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1')
          const what = `${method} ${target.slice(0, 200)}`
          const answer = await withinHangLimit(rawExchange(server.port, Buffer.concat([head, bytes])), what)
          expectDocumented(answer.status, answer.contentType, answer.body, what)
          if (answer.status === 200) collectId(knownIds, new Response(null, { headers: answer.jobId ? { 'x-job-id': answer.jobId } : {} }), answer.body)
        }
      ),
      { numRuns: 400, examples: [['GET', '/v2//retry/\\', {}, ''], ['GET', '', {}, '']] }
    )
  })

  it('keeps streaming the job it had before the raw fuzzing', async () => {
    await kept.expectWhole((id) => fetch(`${server.url}/stream/${id}`, { headers: { Accept: 'text/event-stream', ...AUTH } }))
  })
})

/**
 * Over-limit bodies on a real server, sent but never finished: the 413 must come while the client is
 * still sending, which shows the body is refused as it arrives rather than buffered whole first.
 */
describe('bodies over the limit on a real Node server', () => {
  const LIMIT = 64 * 1024
  let server: NodeServer
  beforeAll(async () => {
    server = await serve(start({ handler: (job) => job.input, maxBodyBytes: LIMIT }), { port: 0 })
  })
  afterAll(() => server?.close())

  const chunked = (chunk: Buffer) => Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')])
  it.each([
    ['a declared Content-Length over the limit', { 'Content-Length': String(100 * LIMIT) }, (chunk: Buffer) => chunk],
    ['a chunked body with no length', { 'Transfer-Encoding': 'chunked' }, chunked],
  ])('answers 413 to %s before the body is finished', async (_, headers, frame) => {
    const socket = connect(server.port, '127.0.0.1')
    const answer = new Promise<string>((resolve, reject) => {
      let text = ''
      socket.on('data', (data) => {
        text += data.toString('latin1')
        if (text.includes('}')) resolve(text)
      })
      socket.on('error', reject)
    })
    const head = Object.entries({ Host: 'edgepod.test', ...headers }).map(([name, value]) => `${name}: ${value}\r\n`)
    socket.write(`POST /run HTTP/1.1\r\n${head.join('')}\r\n`)
    // Twice the limit, in 8 KiB pieces, and then nothing more: the upload is never completed.
    const piece = Buffer.alloc(8 * 1024, 'a')
    for (let sent = 0; sent < 2 * LIMIT; sent += piece.length) socket.write(frame(piece))
    const text = await withinHangLimit(answer, 'an unfinished oversized upload')
    socket.destroy()
    expect(text).toMatch(/^HTTP\/1\.1 413 /)
    expect(text.slice(text.indexOf('{'))).toBe(`{"error":"the request body is over the limit of ${LIMIT} bytes (the worker's maxBodyBytes option raises it)","code":"payload_too_large"}`)
  })
})

/**
 * A path as a request line carries it: starting with `/` (an empty one is no request), every byte
 * outside visible ASCII and `#` percent-encoded.
 */
function requestTarget(path: string): string {
  return (path.startsWith('/') ? path : `/${path}`).replace(/[^\x21-\x7e]|#/gu, (char) => encodeURIComponent(char).replace(/^#$/, '%23'))
}

/** One request over a fresh socket: its status, type, job id and body (an SSE body cut at its first bytes). */
function rawExchange(port: number, request: Buffer): Promise<{ status: number; contentType: string | null; jobId: string | null; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const finish = () => {
      const text = Buffer.concat(chunks).toString('latin1')
      const split = text.indexOf('\r\n\r\n')
      if (split < 0) return reject(new Error(`no complete answer: ${JSON.stringify(text.slice(0, 200))}`))
      const [statusLine = '', ...headerLines] = text.slice(0, split).split('\r\n')
      const header = (name: string) =>
        headerLines.find((line) => line.toLowerCase().startsWith(`${name}:`))?.slice(name.length + 1).trim() ?? null
      let body = text.slice(split + 4)
      if (header('transfer-encoding') === 'chunked') body = unchunk(body)
      const utf8 = Buffer.from(body, 'latin1').toString('utf8')
      resolve({ status: Number(statusLine.split(' ')[1]), contentType: header('content-type'), jobId: header('x-job-id'), body: utf8 })
    }
    socket.on('data', (chunk) => {
      chunks.push(chunk)
      // A live event stream never ends by itself: its head is all this needs.
      if (/content-type: text\/event-stream/i.test(Buffer.concat(chunks).toString('latin1'))) {
        socket.destroy()
        finish()
      }
    })
    socket.on('end', finish)
    socket.on('error', reject)
    socket.write(request)
  })
}

/** The payload of a chunked body, in Latin-1 so that chunk sizes count bytes. */
function unchunk(body: string): string {
  let out = ''
  for (let rest = body; ; ) {
    const line = rest.indexOf('\r\n')
    const size = Number.parseInt(rest.slice(0, line), 16)
    if (!(size > 0)) return out
    out += rest.slice(line + 2, line + 2 + size)
    rest = rest.slice(line + 2 + size + 2)
  }
}

/**
 * Security: with a key configured, every route, at the root and under
 * `/v2/:endpointId/`, refuses a request without it, whatever else the request carries, and says
 * nothing of the jobs behind it; job ids are unguessable; no stack or internal message leaks by
 * default. CORS and the queue limit have their own tests in src/http/limits-and-cors.test.ts.
 */
import fc from 'fast-check'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { start } from '../../src/serverless.ts'

const BASE = 'http://edgepod.test'
const KEY = 'the-real-key-0123456789'
const UNAUTHORIZED = '{"error":"a valid API key is required: send \\"Authorization: Bearer <key>\\"","code":"unauthorized"}'

/** Every route of docs/protocol.md with the methods it takes; `:id` is a real job's id. */
const ROUTES: [method: string, path: string][] = [
  ['POST', '/run'],
  ['POST', '/runsync'],
  ['POST', '/stream'],
  ['GET', '/stream/:id'],
  ['POST', '/stream/:id'],
  ['GET', '/status/:id'],
  ['POST', '/status/:id'],
  ['GET', '/status-sync/:id'],
  ['POST', '/cancel/:id'],
  ['POST', '/retry/:id'],
  ['POST', '/purge-queue'],
  ['GET', '/health'],
  ['GET', '/openapi.json'],
]
const PREFIXES = ['', '/v2/endpoint', '/v2/another-endpoint']

function request(method: string, path: string, headers: Record<string, string> = {}): Request {
  const body = method === 'POST' ? JSON.stringify({ input: 'x' }) : undefined
  return new Request(`${BASE}${path}`, { method, headers, body })
}

describe('with an API key configured', () => {
  const worker = start({ handler: (job) => job.input, apiKey: KEY })
  const authorized = { authorization: `Bearer ${KEY}` }
  let id: string

  beforeAll(async () => {
    id = (await (await worker.fetch(request('POST', '/runsync', authorized))).json()).id
  })

  it('refuses every route, root and /v2, without the key, with the same answer whether the job exists or not', async () => {
    for (const prefix of PREFIXES) {
      for (const [method, route] of ROUTES) {
        for (const jobId of [id, 'no-such-job']) {
          const response = await worker.fetch(request(method, `${prefix}${route.replace(':id', jobId)}`))
          expect(response.status, `${method} ${prefix}${route}`).toBe(401)
          expect(response.headers.get('www-authenticate')).toBe('Bearer')
          expect(await response.text()).toBe(UNAUTHORIZED)
        }
      }
    }
  })

  it('serves every one of those routes with the key (the list above is the real one)', async () => {
    for (const prefix of PREFIXES) {
      for (const [method, route] of ROUTES) {
        const response = await worker.fetch(request(method, `${prefix}${route.replace(':id', id)}`, authorized))
        // /retry of a COMPLETED job is refused for its state, after the key was accepted.
        expect([200, 409], `${method} ${prefix}${route}`).toContain(response.status)
        await response.body?.cancel()
      }
    }
  })

  it('refuses anything but the exact key in the Authorization header', async () => {
    const theKey = new RegExp(`^bearer\\s+${KEY}\\s*$`, 'i')
    const notTheKey = fc
      .oneof(
        fc.string(),
        fc.string().map((text) => `Bearer ${text}`),
        fc.constantFrom(KEY.slice(0, -1), `${KEY}x`, KEY.toUpperCase(), `x${KEY}`, `${KEY}\t${KEY}`, '', `"${KEY}"`).map((text) => `Bearer ${text}`),
        // The key itself, but bare, in other schemes, or not alone.
        fc.constantFrom(KEY, `Basic ${btoa(`user:${KEY}`)}`, `Token ${KEY}`, `Bearer${KEY}`, `Bearer ${KEY} ${KEY}`, `Bearer ${KEY},`)
      )
      .filter((value) => !theKey.test(value.trim()))
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        fc.constantFrom(...PREFIXES),
        notTheKey,
        async ([method, route], prefix, value) => {
          // Headers cannot carry every string: those are refused by the fetch API, never sent.
          let headers: Headers
          try {
            headers = new Headers({ authorization: value, 'x-api-key': KEY })
          } catch {
            return
          }
          const url = `${prefix}${route.replace(':id', id)}?api_key=${KEY}&key=${KEY}`
          const response = await worker.fetch(request(method, url, Object.fromEntries(headers)))
          expect(response.status, `${method} ${url} with ${JSON.stringify(value)}`).toBe(401)
          await response.body?.cancel()
        }
      ),
      { numRuns: 500 }
    )
  })

  it('accepts the key with any case of "Bearer" and surrounding spaces (RFC 9110 schemes are case-insensitive)', async () => {
    for (const value of [`bearer ${KEY}`, `BEARER ${KEY}`, `Bearer   ${KEY}  `]) {
      expect((await worker.fetch(request('GET', '/health', { authorization: value }))).status, value).toBe(200)
    }
  })
})

describe('job ids', () => {
  it('are random UUIDs (122 random bits), never repeated and never in sequence', async () => {
    const worker = start({ handler: () => 1 })
    const ids: string[] = []
    for (let i = 0; i < 2_000; i++) ids.push((await (await worker.fetch(request('POST', '/run'))).json()).id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    // Every hex digit of the random part takes every value about equally: no counter, no clock.
    const counts = new Map<string, number>()
    for (const id of ids) for (const digit of id.replace(/-/g, '').slice(13)) counts.set(digit, (counts.get(digit) ?? 0) + 1)
    expect(counts.size).toBe(16)
    for (const count of counts.values()) expect(count / (ids.length * 19)).toBeGreaterThan(1 / 16 / 2)
  })
})

describe('what leaks by default', () => {
  it('answers an internal failure 500 {"error":"internal error","code":"internal"}, with no message or stack', async () => {
    const secret = 'db password is hunter2'
    // A validator that crashes is a bug below the routes: it reaches the app's error handler.
    const schema = {
      '~standard': {
        version: 1 as const,
        vendor: 'test',
        validate: () => {
          throw new Error(secret)
        },
      },
    }
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      const worker = start({ handler: (job) => job.input, schema })
      const response = await worker.fetch(request('POST', '/run'))
      expect(response.status).toBe(500)
      expect(await response.text()).toBe('{"error":"internal error","code":"internal"}')
      // The operator still sees what happened, in the log.
      expect(logged).toHaveBeenCalledWith('edgepod: internal error', expect.objectContaining({ message: secret }))

      const exposed = start({ handler: (job) => job.input, schema, exposeErrorStack: true })
      const body = await (await exposed.fetch(request('POST', '/run'))).json()
      expect(body.error).toMatch(new RegExp(`^Error: ${secret}\\n\\s+at `))
    } finally {
      logged.mockRestore()
    }
  })

  it('gives a failed job its message and type, but no stack, in /status, the done event and the polled stream', async () => {
    const worker = start({
      handler: async function* () {
        yield 'partial'
        throw new RangeError('out of tokens')
      },
    })
    const response = await worker.fetch(request('POST', '/stream', { accept: 'text/event-stream' }))
    const text = await response.text()
    const id = response.headers.get('x-job-id')!
    const status = await (await worker.fetch(request('GET', `/status/${id}`))).text()
    const polled = await (await worker.fetch(request('GET', `/stream/${id}`))).text()
    for (const answer of [text, status, polled]) {
      expect(answer).toContain('out of tokens')
      expect(answer).not.toMatch(/stack|\bat .*:\d+:\d+|file:\/\/|node_modules/)
    }
    expect(JSON.parse(status)).toMatchObject({ status: 'FAILED', error: 'out of tokens', errorDetail: { type: 'RangeError', message: 'out of tokens' } })
  })
})

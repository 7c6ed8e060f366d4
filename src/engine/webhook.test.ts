import { createServer } from 'node:http'
import type { IncomingHttpHeaders, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, it, expect, vi } from 'vitest'
import { Webhook } from 'standardwebhooks'
import type { WebhookOptions } from './webhook.ts'
import { deliverWebhook } from './webhook.ts'

const SECRET = `whsec_${Buffer.from('a webhook signing key, 32 bytes!').toString('base64')}`
const BODY = JSON.stringify({ id: 'job-1', status: 'FAILED', input: { prompt: 'hé 😀' }, error: 'boom', delayTime: 3, executionTime: 9 })
const MESSAGE_ID = 'msg_job-1_FAILED'
const FAST: WebhookOptions = { attempts: 5, initialDelay: 5, timeout: 2_000 }

/** One POST as the receiving server saw it, and whether the official library verified its signature. */
interface Received {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: string
  verified: true | string
}

/** What the receiver does with its n-th request (1-based): answer a status, or never answer. */
type Answer = { status: number; headers?: Record<string, string> } | 'hang'

interface Receiver {
  url: string
  received: Received[]
  close(): Promise<void>
}

/** A real HTTP server on 127.0.0.1 that verifies every request with `standardwebhooks`. */
async function receiver(answer: (n: number) => Answer, secret = SECRET): Promise<Receiver> {
  const received: Received[] = []
  const hanging: ServerResponse[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      let verified: true | string = true
      try {
        new Webhook(secret).verify(body, req.headers as Record<string, string>)
      } catch (error) {
        verified = (error as Error).message
      }
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, verified })
      const reply = answer(received.length)
      if (reply === 'hang') {
        hanging.push(res)
        return
      }
      res.writeHead(reply.status, reply.headers).end('{"ok":true}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hooks/edgepod?token=t0ps3cret`,
    received,
    close: () => {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

/** An address where nothing listens: a port just released by a server. */
async function closedPort(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return `http://127.0.0.1:${port}/hook`
}

let warn: ReturnType<typeof vi.spyOn>
const servers: Receiver[] = []

async function serve(answer: (n: number) => Answer, secret?: string): Promise<Receiver> {
  const server = await receiver(answer, secret)
  servers.push(server)
  return server
}

beforeEach(() => {
  warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
})

afterEach(async () => {
  vi.restoreAllMocks()
  vi.useRealTimers()
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

describe('deliverWebhook against a real receiver', () => {
  it('retries 500s and delivers on the third attempt, signed, with one webhook-id', async () => {
    const server = await serve((n) => ({ status: n <= 2 ? 500 : 200 }))
    const delivery = await deliverWebhook(server.url, BODY, MESSAGE_ID, { ...FAST, secret: SECRET })

    expect(delivery).toEqual({ delivered: true, attempts: 3, status: 200 })
    expect(server.received).toHaveLength(3)
    for (const request of server.received) {
      expect(request.verified).toBe(true)
      expect(request.method).toBe('POST')
      expect(request.url).toBe('/hooks/edgepod?token=t0ps3cret')
      expect(request.body).toBe(BODY)
      expect(request.headers['webhook-id']).toBe(MESSAGE_ID)
      expect(request.headers['webhook-timestamp']).toMatch(/^\d+$/)
      expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/)
      expect(request.headers['content-type']).toBe('application/json')
      expect(request.headers['user-agent']).toBe('edgepod')
    }
    expect(warn).not.toHaveBeenCalled()
  })

  it('signs with a bare base64 secret the receiver also holds bare', async () => {
    const bare = SECRET.slice('whsec_'.length)
    const server = await serve(() => ({ status: 204 }), bare)
    expect(await deliverWebhook(server.url, BODY, MESSAGE_ID, { ...FAST, secret: bare })).toEqual({ delivered: true, attempts: 1, status: 204 })
    expect(server.received[0]?.verified).toBe(true)
  })

  it('sends no webhook-* headers without a secret', async () => {
    const server = await serve(() => ({ status: 200 }))
    expect(await deliverWebhook(server.url, BODY, MESSAGE_ID, FAST)).toEqual({ delivered: true, attempts: 1, status: 200 })
    const headers = server.received[0]?.headers ?? {}
    expect(Object.keys(headers).filter((name) => name.startsWith('webhook-'))).toEqual([])
    expect(server.received[0]?.verified).toBe('Missing required headers')
    expect(server.received[0]?.body).toBe(BODY)
  })

  it('gives up on a receiver that is down after every attempt, without rejecting', async () => {
    const url = await closedPort()
    const delivery = await deliverWebhook(url, BODY, MESSAGE_ID, { ...FAST, attempts: 3, secret: SECRET })
    expect(delivery).toEqual({ delivered: false, attempts: 3, error: expect.stringContaining('ECONNREFUSED') })
    expect(delivery).not.toHaveProperty('status')
    expect(warn).toHaveBeenCalledOnce()
  })

  it('abandons each attempt at a receiver that never answers after the timeout', async () => {
    const server = await serve(() => 'hang')
    const started = performance.now()
    const delivery = await deliverWebhook(server.url, BODY, MESSAGE_ID, { ...FAST, attempts: 2, timeout: 50 })
    expect(delivery).toEqual({ delivered: false, attempts: 2, error: 'timed out after 50 ms' })
    expect(server.received).toHaveLength(2)
    // Two 50 ms attempts and one short backoff; far below the receiver's forever.
    expect(performance.now() - started).toBeGreaterThanOrEqual(95)
  })

  it('does not retry a 400, and records its status', async () => {
    const server = await serve(() => ({ status: 400 }))
    const delivery = await deliverWebhook(server.url, BODY, MESSAGE_ID, { ...FAST, secret: SECRET })
    expect(delivery).toEqual({ delivered: false, attempts: 1, status: 400, error: 'HTTP 400' })
    expect(server.received).toHaveLength(1)
  })

  it.each([408, 429, 503])('retries a %d', async (status) => {
    const server = await serve((n) => ({ status: n === 1 ? status : 200 }))
    expect(await deliverWebhook(server.url, BODY, MESSAGE_ID, FAST)).toEqual({ delivered: true, attempts: 2, status: 200 })
    expect(server.received).toHaveLength(2)
  })

  it('retries a 429 with Retry-After: 0', async () => {
    const server = await serve((n) => (n === 1 ? { status: 429, headers: { 'Retry-After': '0' } } : { status: 200 }))
    expect(await deliverWebhook(server.url, BODY, MESSAGE_ID, { ...FAST, secret: SECRET })).toEqual({ delivered: true, attempts: 2, status: 200 })
    expect(server.received.map((request) => request.headers['webhook-id'])).toEqual([MESSAGE_ID, MESSAGE_ID])
  })

  it('does not follow a redirect, which would turn the POST into a GET', async () => {
    const server = await serve((n) => (n === 1 ? { status: 302, headers: { Location: '/elsewhere' } } : { status: 200 }))
    const delivery = await deliverWebhook(server.url, BODY, MESSAGE_ID, FAST)
    expect(delivery).toEqual({ delivered: false, attempts: 1, status: 302, error: 'HTTP 302 redirect (not followed)' })
    expect(server.received.map((request) => request.method)).toEqual(['POST'])
  })

  it('gives up after the last attempt with the last status', async () => {
    const server = await serve(() => ({ status: 502 }))
    const delivery = await deliverWebhook(server.url, BODY, MESSAGE_ID, { ...FAST, attempts: 4 })
    expect(delivery).toEqual({ delivered: false, attempts: 4, status: 502, error: 'HTTP 502' })
    expect(server.received).toHaveLength(4)
  })

  it('logs one line with the host only: no path, query or secret', async () => {
    const server = await serve(() => ({ status: 500 }))
    await deliverWebhook(server.url, BODY, MESSAGE_ID, { ...FAST, attempts: 2, secret: SECRET })
    expect(warn).toHaveBeenCalledOnce()
    const line = String(warn.mock.calls[0]?.[0])
    expect(line).toBe(`edgepod: webhook to ${new URL(server.url).host} not delivered after 2 attempts: HTTP 500`)
    expect(warn.mock.calls[0]).toHaveLength(1)
  })
})

describe('deliverWebhook timing (fake timers)', () => {
  /** A fetch that answers `statuses` in turn and notes the (fake) time of each call. */
  function scripted(...answers: Array<number | Response>): { fetch: typeof fetch; times: number[] } {
    const times: number[] = []
    const fetch: typeof globalThis.fetch = async () => {
      times.push(Date.now())
      const next = answers[times.length - 1] ?? 200
      return typeof next === 'number' ? new Response(null, { status: next }) : next
    }
    return { fetch, times }
  }

  /** Gaps between consecutive calls. */
  function gaps(times: number[]): number[] {
    return times.slice(1).map((time, i) => time - (times[i] ?? 0))
  }

  /**
   * Runs the fake clock until `promise` settles. Signing awaits crypto.subtle, which completes on
   * the thread pool, not in a microtask: between timers this yields to the real event loop (a real
   * setImmediate, as only setTimeout and Date are faked) until the next backoff timer exists.
   */
  async function settle<T>(promise: Promise<T>): Promise<T> {
    let settled = false
    void promise.finally(() => {
      settled = true
    })
    while (!settled) {
      await vi.advanceTimersToNextTimerAsync()
      await new Promise((resolve) => setImmediate(resolve))
    }
    return promise
  }

  beforeEach(() => {
    vi.useFakeTimers({ now: 1_700_000_000_000, toFake: ['setTimeout', 'clearTimeout', 'Date'] })
  })

  it.each([
    [0, [800, 1600, 3200, 6400]],
    [0.5, [1000, 2000, 4000, 8000]],
    [1 - Number.EPSILON, [1200, 2400, 4800, 9600]],
  ])('doubles the delay from initialDelay, jittered ±20%% (random %d)', async (random, expected) => {
    vi.spyOn(Math, 'random').mockReturnValue(random)
    const { fetch, times } = scripted(500, 500, 500, 500, 500)
    const delivery = deliverWebhook('https://hooks.example/x', BODY, MESSAGE_ID, { attempts: 5, initialDelay: 1000, timeout: 10_000, fetch })
    expect(await settle(delivery)).toEqual({ delivered: false, attempts: 5, status: 500, error: 'HTTP 500' })
    expect(gaps(times)).toEqual(expected)
  })

  it('waits for Retry-After seconds when longer than the backoff', async () => {
    const { fetch, times } = scripted(new Response(null, { status: 429, headers: { 'Retry-After': '7' } }), 200)
    const delivery = deliverWebhook('https://hooks.example/x', BODY, MESSAGE_ID, { attempts: 5, initialDelay: 1000, timeout: 10_000, fetch })
    await vi.advanceTimersByTimeAsync(6_999)
    expect(times).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(await delivery).toEqual({ delivered: true, attempts: 2, status: 200 })
    expect(gaps(times)).toEqual([7000])
  })

  it('reads a Retry-After date, and caps any Retry-After at 60 s', async () => {
    const inTenSeconds = new Date(Date.now() + 10_000).toUTCString()
    const { fetch, times } = scripted(
      new Response(null, { status: 503, headers: { 'Retry-After': inTenSeconds } }),
      new Response(null, { status: 503, headers: { 'Retry-After': '86400' } }),
      200,
    )
    vi.spyOn(Math, 'random').mockReturnValue(0.5)
    const delivery = deliverWebhook('https://hooks.example/x', BODY, MESSAGE_ID, { attempts: 5, initialDelay: 1000, timeout: 10_000, fetch })
    expect(await settle(delivery)).toEqual({ delivered: true, attempts: 3, status: 200 })
    expect(gaps(times)).toEqual([10_000, 60_000])
  })

  it('ignores a Retry-After it cannot read', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5)
    const { fetch, times } = scripted(new Response(null, { status: 503, headers: { 'Retry-After': 'soon' } }), 200)
    const delivery = deliverWebhook('https://hooks.example/x', BODY, MESSAGE_ID, { attempts: 5, initialDelay: 1000, timeout: 10_000, fetch })
    expect((await settle(delivery)).delivered).toBe(true)
    expect(gaps(times)).toEqual([1000])
  })

  it('signs each attempt with a fresh timestamp under the same webhook-id', async () => {
    const seen: Headers[] = []
    const fetch: typeof globalThis.fetch = async (_url, init) => {
      seen.push(new Headers(init?.headers))
      return new Response(null, { status: seen.length < 3 ? 500 : 200 })
    }
    const delivery = deliverWebhook('https://hooks.example/x', BODY, MESSAGE_ID, {
      attempts: 3, initialDelay: 5_000, timeout: 10_000, secret: SECRET, fetch,
    })
    expect((await settle(delivery)).attempts).toBe(3)
    const timestamps = seen.map((headers) => Number(headers.get('webhook-timestamp')))
    expect(new Set(seen.map((headers) => headers.get('webhook-id')))).toEqual(new Set([MESSAGE_ID]))
    expect(timestamps[0]).toBe(1_700_000_000)
    expect(timestamps[1]).toBeGreaterThan(timestamps[0] ?? Infinity)
    expect(timestamps[2]).toBeGreaterThan(timestamps[1] ?? Infinity)
    expect(new Set(seen.map((headers) => headers.get('webhook-signature'))).size).toBe(3)
  })
})

describe('deliverWebhook never rejects', () => {
  it('sends nothing to an invalid URL', async () => {
    const fetch = vi.fn<typeof globalThis.fetch>()
    expect(await deliverWebhook('not a url', BODY, MESSAGE_ID, { ...FAST, fetch })).toEqual({ delivered: false, attempts: 0, error: 'invalid webhook URL' })
    expect(await deliverWebhook('file:///etc/passwd', BODY, MESSAGE_ID, { ...FAST, fetch })).toEqual({
      delivered: false, attempts: 0, error: 'unsupported webhook URL scheme file:',
    })
    expect(fetch).not.toHaveBeenCalled()
  })

  it('sends nothing, and never unsigned, with a secret that is not base64', async () => {
    const fetch = vi.fn<typeof globalThis.fetch>()
    const delivery = await deliverWebhook('https://hooks.example/x', BODY, MESSAGE_ID, { ...FAST, secret: 'not base64!', fetch })
    expect(delivery).toMatchObject({ delivered: false, attempts: 0, error: expect.stringContaining('base64') })
    expect(fetch).not.toHaveBeenCalled()
    expect(String(warn.mock.calls[0]?.[0])).not.toContain('not base64!')
  })

  it('treats a fetch that throws at once like a network error', async () => {
    const fetch = vi.fn<typeof globalThis.fetch>(() => {
      throw new TypeError('boom')
    })
    expect(await deliverWebhook('https://hooks.example/x', BODY, MESSAGE_ID, { ...FAST, attempts: 2, fetch })).toEqual({
      delivered: false, attempts: 2, error: 'boom',
    })
    expect(fetch).toHaveBeenCalledTimes(2)
  })

  it('makes at least one attempt whatever attempts says', async () => {
    const fetch = vi.fn<typeof globalThis.fetch>(async () => new Response(null, { status: 500 }))
    expect((await deliverWebhook('https://hooks.example/x', BODY, MESSAGE_ID, { ...FAST, attempts: 0, fetch })).attempts).toBe(1)
    expect((await deliverWebhook('https://hooks.example/x', BODY, MESSAGE_ID, { ...FAST, attempts: NaN, fetch })).attempts).toBe(1)
  })

  it('calls fetch as a plain function, as Workers require', async () => {
    let self: unknown = 'unset'
    const fetch = function (this: unknown): Promise<Response> {
      self = this
      return Promise.resolve(new Response(null, { status: 200 }))
    }
    await deliverWebhook('https://hooks.example/x', BODY, MESSAGE_ID, { ...FAST, fetch: fetch as typeof globalThis.fetch })
    expect(self).toBeUndefined()
  })

  it('uses the global fetch when none is given', async () => {
    const stub = vi.fn<typeof globalThis.fetch>(async () => new Response(null, { status: 200 }))
    vi.stubGlobal('fetch', stub)
    try {
      expect(await deliverWebhook('https://hooks.example/x', BODY, MESSAGE_ID, FAST)).toEqual({ delivered: true, attempts: 1, status: 200 })
      expect(stub).toHaveBeenCalledOnce()
    } finally {
      vi.unstubAllGlobals()
    }
  })
})

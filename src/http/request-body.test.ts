import { describe, it, expect, vi } from 'vitest'
import { WorkerError } from '../errors.ts'
import { errorResponse, statusOfCode } from './http-error.ts'
import type { ErrorCode } from '../errors.ts'
import type { BodyIssue } from './request-body.ts'
import { workerErrorThrownBy } from '../../test/helpers/http-error.ts'
import { jobRequestFrom, readJobRequest, readJsonBody } from './request-body.ts'

const SEVEN_DAYS = 7 * 24 * 60 * 60 * 1000
const LIMIT = 1024

function post(body: BodyInit | null, headers?: Record<string, string>): Request {
  return new Request('http://localhost/run', { method: 'POST', body, headers })
}

function postJson(value: unknown): Request {
  return post(JSON.stringify(value), { 'Content-Type': 'application/json' })
}

/**
 * A Request whose body is a pull-based stream of `chunkCount` chunks of `chunkSize` bytes, made
 * on demand, that records how many chunks were pulled and whether (and why) it was cancelled.
 */
function countingRequest(chunkCount: number, chunkSize: number, headers?: Record<string, string>, then: 'end' | 'stall' = 'end') {
  const state = { pulls: 0, cancelled: false, cancelReason: undefined as unknown }
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (state.pulls === chunkCount) {
        // A client that stops sending: the next chunk never comes.
        if (then === 'stall') return new Promise<void>(() => {})
        controller.close()
        return
      }
      state.pulls++
      controller.enqueue(new Uint8Array(chunkSize).fill(0x20)) // spaces: valid JSON whitespace
    },
    cancel(reason) {
      state.cancelled = true
      state.cancelReason = reason
    },
  })
  // `duplex` is required by Node for a stream body; the DOM RequestInit type does not know it yet.
  const init = { method: 'POST', body, headers, duplex: 'half' } as RequestInit
  return { request: new Request('http://localhost/run', init), state }
}

/** A Request whose body is exactly `chunks`, with no Content-Length. */
function streamRequest(chunks: Uint8Array[]): Request {
  let index = 0
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[index++]
      if (chunk === undefined) controller.close()
      else controller.enqueue(chunk)
    },
  })
  return new Request('http://localhost/run', { method: 'POST', body, duplex: 'half' } as RequestInit)
}

async function rejection(promise: Promise<unknown>): Promise<WorkerError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(WorkerError)
    return error as WorkerError
  }
  throw new Error('expected an WorkerError, but the promise resolved')
}


function expectCode(error: WorkerError, code: ErrorCode, status: number): void {
  expect(error.code).toBe(code)
  expect(statusOfCode[error.code]).toBe(status)
}

describe('readJsonBody', () => {
  describe('size limit', () => {
    it('accepts a body of exactly the limit', async () => {
      const text = JSON.stringify({ input: 'a'.repeat(LIMIT - 12) })
      expect(new TextEncoder().encode(text).length).toBe(LIMIT)
      await expect(readJsonBody(post(text), LIMIT)).resolves.toEqual({ input: 'a'.repeat(LIMIT - 12) })
    })

    it('refuses a body one byte over the limit with 413 payload_too_large, with no Content-Length', async () => {
      const text = JSON.stringify({ input: 'a'.repeat(LIMIT - 11) })
      const request = post(text)
      expect(request.headers.get('content-length')).toBeNull()
      const error = await rejection(readJsonBody(request, LIMIT))
      expectCode(error, 'payload_too_large', 413)
      expect(error.message).toContain(String(LIMIT))
    })

    it('counts bytes, not characters, against the limit', async () => {
      // 400 three-byte characters: 400 characters, 1200 bytes.
      const text = JSON.stringify({ input: '€'.repeat(400) })
      expect(text.length).toBeLessThan(LIMIT)
      expectCode(await rejection(readJsonBody(post(text), LIMIT)), 'payload_too_large', 413)
    })

    it('refuses a declared Content-Length over the limit before reading the body', async () => {
      const request = post('{"input":1}', { 'Content-Length': String(LIMIT + 1) })
      const error = await rejection(readJsonBody(request, LIMIT))
      expectCode(error, 'payload_too_large', 413)
    })

    it('refuses a declared Content-Length over the limit at once, drains at most 4× the limit, then cancels', async () => {
      // LIMIT is 1 KiB: at most 4 KiB (5 chunks of 1 KiB) are read and dropped, of 1000.
      const { request, state } = countingRequest(1000, 1024, { 'Content-Length': String(1000 * 1024) })
      expectCode(await rejection(readJsonBody(request, LIMIT)), 'payload_too_large', 413)
      expect(state.pulls).toBeLessThanOrEqual(7)
      expect(state.cancelled).toBe(true)
    })

    it('refuses a streamed body with no Content-Length at the limit, drains at most 4× more, then cancels', async () => {
      // 1000 chunks of 1 KiB against a 10 KiB limit: the 11th chunk is the first one over, then
      // at most 40 KiB more are dropped (never kept) before the body is cancelled.
      const { request, state } = countingRequest(1000, 1024)
      expect(request.headers.get('content-length')).toBeNull()
      const error = await rejection(readJsonBody(request, 10 * 1024))
      expectCode(error, 'payload_too_large', 413)
      expect(state.pulls).toBeGreaterThanOrEqual(11)
      expect(state.pulls).toBeLessThanOrEqual(55)
      expect(state.cancelled).toBe(true)
    })

    it('answers 413 to an oversized upload that stalls, after a second of silence, without waiting for the rest', async () => {
      vi.useFakeTimers()
      try {
        const { request, state } = countingRequest(3, 1024, undefined, 'stall')
        let settled = false
        const refused = rejection(readJsonBody(request, LIMIT)).finally(() => (settled = true))
        await vi.advanceTimersByTimeAsync(999)
        expect(settled).toBe(false)
        await vi.advanceTimersByTimeAsync(1)
        expectCode(await refused, 'payload_too_large', 413)
        expect(state.cancelled).toBe(true)
      } finally {
        vi.useRealTimers()
      }
    })

    it('refuses a body longer than its declared Content-Length when it is over the limit', async () => {
      // Over HTTP the runtime reads exactly the declared length; a Request made in code can carry
      // more, and is still refused.
      const { request } = countingRequest(20, 1024, { 'Content-Length': '10' })
      expectCode(await rejection(readJsonBody(request, 10 * 1024)), 'payload_too_large', 413)
    })

    it('reads a body of a declared Content-Length', async () => {
      const text = JSON.stringify({ input: 'declared' })
      const declared = post(text, { 'Content-Length': String(new TextEncoder().encode(text).length) })
      await expect(readJsonBody(declared, LIMIT)).resolves.toEqual({ input: 'declared' })
    })

    it('reads a streamed body under the limit to the end', async () => {
      const text = JSON.stringify({ input: { text: 'streamed' } })
      const bytes = new TextEncoder().encode(text)
      const chunks = Array.from(bytes, (byte) => Uint8Array.of(byte))
      await expect(readJsonBody(streamRequest(chunks), LIMIT)).resolves.toEqual({ input: { text: 'streamed' } })
    })

    it.each<[string]>([['not a number'], ['']])('ignores the unusable Content-Length %j and reads the body', async (header) => {
      const { request } = countingRequest(1, 10, { 'Content-Length': header })
      // Ten spaces only: it is read, and found empty.
      expectCode(await rejection(readJsonBody(request, LIMIT)), 'missing_input', 400)
    })
  })

  describe('encoding and syntax', () => {
    it('joins a multi-byte character split across chunks', async () => {
      const bytes = new TextEncoder().encode('{"input":"😀é"}')
      const chunks = Array.from(bytes, (byte) => Uint8Array.of(byte))
      await expect(readJsonBody(streamRequest(chunks), LIMIT)).resolves.toEqual({ input: '😀é' })
    })

    it.each<[string, number[]]>([
      ['a lone continuation byte', [0x80]],
      ['a truncated two-byte sequence', [0xc3]],
      ['a truncated four-byte sequence', [0xf0, 0x9f, 0x98]],
      ['an overlong encoding of "/"', [0xc0, 0xaf]],
      ['an encoded surrogate', [0xed, 0xa0, 0x80]],
      ['a byte that never appears in UTF-8', [0xff]],
    ])('refuses %s inside a JSON string as 400 invalid_json', async (_name, bad) => {
      const bytes = Uint8Array.from([...new TextEncoder().encode('{"input":"'), ...bad, ...new TextEncoder().encode('"}')])
      const error = await rejection(readJsonBody(post(bytes), LIMIT))
      expectCode(error, 'invalid_json', 400)
      expect(error.message).toMatch(/UTF-8/)
    })

    it('reads a good body right after a bad one, whole: nothing of the bad one carries over', async () => {
      const truncated = Uint8Array.from([...new TextEncoder().encode('{"input":"'), 0xf0, 0x9f])
      expectCode(await rejection(readJsonBody(post(truncated), LIMIT)), 'invalid_json', 400)
      await expect(readJsonBody(post(new TextEncoder().encode('{"input":"😀"}')), LIMIT)).resolves.toEqual({ input: '😀' })
      const bomOnly = Uint8Array.from([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('{"input":2}')])
      await expect(readJsonBody(post(bomOnly), LIMIT)).resolves.toEqual({ input: 2 })
    })

    it('accepts a leading UTF-8 byte order mark', async () => {
      const bytes = Uint8Array.from([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('{"input":1}')])
      await expect(readJsonBody(post(bytes), LIMIT)).resolves.toEqual({ input: 1 })
    })

    it.each<[string, BodyInit | null]>([
      ['no body at all', null],
      ['an empty body', ''],
      ['a body of whitespace', ' \r\n\t '],
    ])('answers %s with 400 missing_input', async (_name, body) => {
      const error = await rejection(readJsonBody(post(body), LIMIT))
      expectCode(error, 'missing_input', 400)
      expect(error.message).toContain('input')
    })

    it('answers a GET request, which has no body, with 400 missing_input', async () => {
      expectCode(await rejection(readJsonBody(new Request('http://localhost/run'), LIMIT)), 'missing_input', 400)
    })

    it.each<[string]>([
      ['{'],
      ['{"input":}'],
      ["{'input': 1}"],
      ['{"input": 1,}'],
      ['input=1'],
      ['{"input": 1} trailing'],
      ['undefined'],
      ['NaN'],
    ])('answers the invalid JSON %j with 400 invalid_json', async (text) => {
      const error = await rejection(readJsonBody(post(text), LIMIT))
      expectCode(error, 'invalid_json', 400)
      expect(error.message).toMatch(/^the request body is not valid JSON: /)
    })

    it.each<[string, unknown]>([
      ['{"input":{"a":[1,2]}}', { input: { a: [1, 2] } }],
      ['[1,2]', [1, 2]],
      ['"text"', 'text'],
      ['null', null],
      ['  {"input": 0}\n', { input: 0 }],
    ])('parses any JSON value: %j', async (text, expected) => {
      await expect(readJsonBody(post(text), LIMIT)).resolves.toEqual(expected)
    })
  })
})

describe('jobRequestFrom', () => {
  describe('the body and its input', () => {
    it.each<[string, unknown]>([
      ['null', null],
      ['an array', [{ input: 1 }]],
      ['a string', '{"input":1}'],
      ['a number', 1],
      ['true', true],
      ['an object without input', { webhook: 'https://example.com/' }],
      ['an empty object', {}],
      ['an object whose input is undefined', { input: undefined }],
    ])('refuses %s with 400 missing_input', (_name, body) => {
      const error = workerErrorThrownBy(() => jobRequestFrom(body))
      expectCode(error, 'missing_input', 400)
      expect(error.message).toContain('"input"')
    })

    it.each<[string, unknown]>([
      ['null', null],
      ['zero', 0],
      ['false', false],
      ['an empty string', ''],
      ['an empty object', {}],
      ['an empty array', []],
      ['a nested object', { prompt: 'hi', options: { n: 2, stop: ['\n'] } }],
    ])('accepts an input of %s as it is', (_name, input) => {
      const request = jobRequestFrom({ input })
      expect(request.input).toEqual(input)
      expect(request).toEqual({ input, webhook: undefined, policy: undefined, s3Config: undefined })
    })

    it('keeps the very input object, not a copy', () => {
      const input = { a: 1 }
      expect(jobRequestFrom({ input }).input).toBe(input)
    })

    it('drops unknown top-level keys', () => {
      expect(jobRequestFrom({ input: 1, extra: true, id: 'chosen-by-client' })).toEqual({
        input: 1,
        webhook: undefined,
        policy: undefined,
        s3Config: undefined,
      })
    })
  })

  describe('valid optional fields', () => {
    it('passes webhook, policy and s3Config through', () => {
      const s3Config = { accessId: 'a', accessSecret: 's', bucketName: 'b', endpointUrl: 'https://s3.example.com' }
      const policy = { executionTimeout: 1000, ttl: SEVEN_DAYS, lowPriority: true }
      expect(jobRequestFrom({ input: 'x', webhook: 'https://example.com/hook?a=1', policy, s3Config })).toEqual({
        input: 'x',
        webhook: 'https://example.com/hook?a=1',
        policy,
        s3Config,
      })
    })

    it.each<[string]>([['http://example.com/'], ['https://example.com:8443/path'], ['HTTP://EXAMPLE.COM/'], ['http://127.0.0.1:9000/hook']])(
      'accepts the webhook %j',
      (webhook) => {
        expect(jobRequestFrom({ input: 1, webhook }).webhook).toBe(webhook)
      }
    )

    it('treats null policy fields as absent, like null top-level fields', () => {
      const policy = { executionTimeout: null, ttl: null, lowPriority: null }
      expect(jobRequestFrom({ input: 1, policy })).toMatchObject({ input: 1, policy })
    })

    it('treats null webhook, policy and s3Config as absent', () => {
      expect(jobRequestFrom({ input: 1, webhook: null, policy: null, s3Config: null })).toEqual({
        input: 1,
        webhook: undefined,
        policy: undefined,
        s3Config: undefined,
      })
    })

    it.each<[string, Record<string, unknown>]>([
      ['an empty policy', {}],
      ['the smallest durations', { executionTimeout: 1, ttl: 1 }],
      ['the largest durations (7 days)', { executionTimeout: SEVEN_DAYS, ttl: SEVEN_DAYS }],
      ['lowPriority false', { lowPriority: false }],
      ['durations written with an exponent', { executionTimeout: 1e3 }],
    ])('accepts %s', (_name, policy) => {
      expect(jobRequestFrom({ input: 1, policy }).policy).toEqual(policy)
    })

    it('accepts an empty s3Config object', () => {
      expect(jobRequestFrom({ input: 1, s3Config: {} }).s3Config).toEqual({})
    })
  })

  describe('invalid optional fields', () => {
    function issuesOf(body: unknown): BodyIssue[] {
      const error = workerErrorThrownBy(() => jobRequestFrom(body))
      expectCode(error, 'invalid_input', 400)
      expect(Array.isArray(error.details)).toBe(true)
      return error.details as BodyIssue[]
    }

    it.each<[string, unknown]>([
      ['a relative path', '/hook'],
      ['plain text', 'not a url'],
      ['an ftp URL', 'ftp://example.com/hook'],
      ['a javascript URL', 'javascript:alert(1)'],
      ['a data URL', 'data:text/plain,hi'],
      ['a file URL', 'file:///etc/passwd'],
      ['an empty string', ''],
      ['a number', 42],
      ['an object', { url: 'https://example.com/' }],
      ['true', true],
    ])('refuses a webhook that is %s', (_name, webhook) => {
      expect(issuesOf({ input: 1, webhook })).toEqual([{ path: ['webhook'], message: 'must be an http(s) URL' }])
    })

    it.each<[string, unknown]>([
      ['an array', [1000]],
      ['a string', 'fast'],
      ['a number', 1000],
      ['true', true],
    ])('refuses a policy that is %s', (_name, policy) => {
      expect(issuesOf({ input: 1, policy })).toEqual([{ path: ['policy'], message: 'must be an object' }])
    })

    const durationMessage = `must be a whole number of milliseconds from 1 to ${SEVEN_DAYS}`

    it.each<[string, unknown]>([
      ['zero', 0],
      ['negative', -1],
      ['fractional', 1.5],
      ['over 7 days', SEVEN_DAYS + 1],
      ['a numeric string', '1000'],
      ['a boolean', true],
      ['an object', { ms: 1000 }],
    ])('refuses an executionTimeout and a ttl that are %s', (_name, value) => {
      expect(issuesOf({ input: 1, policy: { executionTimeout: value } })).toEqual([
        { path: ['policy', 'executionTimeout'], message: durationMessage },
      ])
      expect(issuesOf({ input: 1, policy: { ttl: value } })).toEqual([{ path: ['policy', 'ttl'], message: durationMessage }])
    })

    it.each<[string, unknown]>([
      ['a string', 'true'],
      ['a number', 1],
    ])('refuses a lowPriority that is %s', (_name, lowPriority) => {
      expect(issuesOf({ input: 1, policy: { lowPriority } })).toEqual([{ path: ['policy', 'lowPriority'], message: 'must be a boolean' }])
    })

    it.each<[string, unknown]>([
      ['an array', [{ bucketName: 'b' }]],
      ['a string', 's3://bucket'],
      ['a number', 1],
      ['false', false],
    ])('refuses an s3Config that is %s', (_name, s3Config) => {
      expect(issuesOf({ input: 1, s3Config })).toEqual([{ path: ['s3Config'], message: 'must be an object' }])
    })

    it('lists every issue, in field order, and summarises them in the message', () => {
      const error = workerErrorThrownBy(() =>
        jobRequestFrom({
          input: 1,
          webhook: 'ftp://x',
          policy: { executionTimeout: 0, ttl: -5, lowPriority: 'no' },
          s3Config: [],
        })
      )
      expectCode(error, 'invalid_input', 400)
      expect(error.details).toEqual([
        { path: ['webhook'], message: 'must be an http(s) URL' },
        { path: ['policy', 'executionTimeout'], message: durationMessage },
        { path: ['policy', 'ttl'], message: durationMessage },
        { path: ['policy', 'lowPriority'], message: 'must be a boolean' },
        { path: ['s3Config'], message: 'must be an object' },
      ])
      expect(error.message).toBe(
        'invalid request: webhook must be an http(s) URL; ' +
          `policy.executionTimeout ${durationMessage}; policy.ttl ${durationMessage}; ` +
          'policy.lowPriority must be a boolean; s3Config must be an object'
      )
    })

    it('puts the issues in the details of the JSON error answer', async () => {
      const response = errorResponse(workerErrorThrownBy(() => jobRequestFrom({ input: 1, webhook: 'nope' })))
      expect(response.status).toBe(400)
      expect(await response.json()).toEqual({
        error: 'invalid request: webhook must be an http(s) URL',
        code: 'invalid_input',
        details: [{ path: ['webhook'], message: 'must be an http(s) URL' }],
      })
    })

    it('checks the input before the optional fields', () => {
      expectCode(
        workerErrorThrownBy(() => jobRequestFrom({ webhook: 'ftp://x' })),
        'missing_input',
        400
      )
    })
  })
})

describe('readJobRequest', () => {
  it('reads, parses and checks a real request', async () => {
    const request = postJson({ input: { prompt: 'hello' }, webhook: 'https://example.com/done', policy: { ttl: 60_000 } })
    await expect(readJobRequest(request, LIMIT)).resolves.toEqual({
      input: { prompt: 'hello' },
      webhook: 'https://example.com/done',
      policy: { ttl: 60_000 },
      s3Config: undefined,
    })
  })

  it('accepts input: null', async () => {
    await expect(readJobRequest(postJson({ input: null }), LIMIT)).resolves.toMatchObject({ input: null })
  })

  it.each<[string, Request, ErrorCode, number]>([
    ['an oversized body', postJson({ input: 'x'.repeat(LIMIT) }), 'payload_too_large', 413],
    ['invalid JSON', post('{input: 1}'), 'invalid_json', 400],
    ['an empty body', post(''), 'missing_input', 400],
    ['a body without input', postJson({ inputs: 1 }), 'missing_input', 400],
    ['an array body', postJson([{ input: 1 }]), 'missing_input', 400],
    ['an invalid policy', postJson({ input: 1, policy: { ttl: 0 } }), 'invalid_input', 400],
  ])('refuses %s', async (_name, request, code, status) => {
    expectCode(await rejection(readJobRequest(request, LIMIT)), code, status)
  })
})

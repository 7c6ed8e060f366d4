/**
 * The queue limit (429 `queue_full` rather than a queue that grows without end) and CORS (closed
 * unless configured), through real Requests on the app.
 */
import { describe, expect, it } from 'vitest'
import type { WorkerConfig } from '../config.ts'
import { start } from '../serverless.ts'
import { gate } from '../../test/helpers/gate.ts'

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  new Request(`http://edgepod.test${path}`, { method: 'POST', body: JSON.stringify(body), headers })
const preflight = (origin: string, headers = 'authorization, content-type, last-event-id') =>
  new Request('http://edgepod.test/run', {
    method: 'OPTIONS',
    headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': headers },
  })

describe('the queue limit', () => {
  /** A worker with one slot whose jobs wait until `release` opens. */
  function oneSlot(config: Partial<WorkerConfig> = {}) {
    const release = gate()
    const worker = start({
      handler: async () => {
        await release.promise
        return 'done'
      },
      concurrencyModifier: 1,
      maxQueue: 2,
      ...config,
    })
    return { worker, release }
  }

  it('answers 429 queue_full with Retry-After once maxQueue jobs wait, on every submitting route', async () => {
    const { worker, release } = oneSlot()
    const accepted = []
    // One runs, two wait: the queue is full.
    for (let i = 0; i < 3; i++) accepted.push(await (await worker.fetch(post('/run', { input: i }))).json())
    for (const path of ['/run', '/runsync', '/stream', '/v2/endpoint/run']) {
      const refused = await worker.fetch(post(path, { input: 'one too many' }))
      expect(refused.status).toBe(429)
      expect(refused.headers.get('retry-after')).toBe('1')
      expect(await refused.json()).toMatchObject({ code: 'queue_full' })
    }
    // The jobs already taken are untouched and run to their end.
    expect(await (await worker.fetch(new Request('http://edgepod.test/health'))).json()).toMatchObject({
      jobs: { inQueue: 2, inProgress: 1 },
    })
    release.open()
    for (const { id } of accepted) {
      await expect
        .poll(async () => (await (await worker.fetch(new Request(`http://edgepod.test/status/${id}`))).json()).status)
        .toBe('COMPLETED')
    }
    // Room again.
    expect((await worker.fetch(post('/run', { input: 'later' }))).status).toBe(200)
  })

  it('takes a job that starts at once even with maxQueue 0, and refuses the one that would wait', async () => {
    const { worker, release } = oneSlot({ maxQueue: 0 })
    expect((await worker.fetch(post('/run', { input: 1 }))).status).toBe(200)
    expect((await worker.fetch(post('/run', { input: 2 }))).status).toBe(429)
    release.open()
  })

  it('refuses a /retry that would wait behind a full queue, leaving the job as it was', async () => {
    const release = gate()
    let calls = 0
    const worker = start({
      handler: async () => {
        if (++calls === 1) throw new Error('first attempt fails')
        await release.promise
      },
      concurrencyModifier: 1,
      maxQueue: 1,
    })
    const failed = await (await worker.fetch(post('/runsync', { input: 0 }))).json()
    expect(failed.status).toBe('FAILED')
    await worker.fetch(post('/run', { input: 1 }))
    await worker.fetch(post('/run', { input: 2 }))
    const retry = await worker.fetch(new Request(`http://edgepod.test/retry/${failed.id}`, { method: 'POST' }))
    expect(retry.status).toBe(429)
    expect((await (await worker.fetch(new Request(`http://edgepod.test/status/${failed.id}`))).json()).status).toBe('FAILED')
    release.open()
  })

  it('defaults to 10,000 and checks the option', () => {
    expect(() => start({ handler: () => 1, maxQueue: -1 })).toThrow(/maxQueue/)
    expect(() => start({ handler: () => 1, maxQueue: 1.5 })).toThrow(/maxQueue/)
    expect(() => start({ handler: () => 1, maxQueue: Infinity })).not.toThrow()
    expect(start({ handler: () => 1 }).engine.options.maxQueue).toBe(10_000)
  })
})

describe('CORS', () => {
  const handler = () => 'ok'

  it('is closed by default: no preflight answer a browser accepts, no CORS header on answers', async () => {
    const worker = start({ handler })
    const answer = await worker.fetch(preflight('https://app.example'))
    expect(answer.headers.get('access-control-allow-origin')).toBeNull()
    const run = await worker.fetch(post('/run', { input: 1 }, { Origin: 'https://app.example' }))
    expect(run.status).toBe(200)
    expect(run.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('answers an allowed origin’s preflight before authentication, with the headers edgepod’s clients send', async () => {
    const worker = start({ handler, apiKey: 'secret', cors: { origin: ['https://app.example', 'https://admin.example'] } })
    const answer = await worker.fetch(preflight('https://app.example'))
    expect(answer.status).toBe(204)
    expect(answer.headers.get('access-control-allow-origin')).toBe('https://app.example')
    const allowed = answer.headers.get('access-control-allow-headers')!.toLowerCase()
    for (const header of ['authorization', 'content-type', 'last-event-id']) expect(allowed).toContain(header)
    expect(answer.headers.get('access-control-allow-methods')).toContain('POST')
    expect(answer.headers.get('access-control-max-age')).toBe('600')
  })

  it('labels real answers for an allowed origin, exposes X-Job-Id, and still requires the key', async () => {
    const worker = start({ handler, apiKey: 'secret', cors: { origin: (origin) => origin.endsWith('.example') } })
    const origin = { Origin: 'https://app.example' }
    const refused = await worker.fetch(post('/stream', { input: 1 }, origin))
    expect(refused.status).toBe(401)
    expect(refused.headers.get('access-control-allow-origin')).toBe('https://app.example')
    const stream = await worker.fetch(post('/stream', { input: 1 }, { ...origin, Authorization: 'Bearer secret' }))
    expect(stream.status).toBe(200)
    expect(stream.headers.get('access-control-allow-origin')).toBe('https://app.example')
    expect(stream.headers.get('access-control-expose-headers')).toContain('X-Job-Id')
    await stream.text()
  })

  it('gives an origin it does not allow nothing to read', async () => {
    const worker = start({ handler, cors: { origin: 'https://app.example' } })
    const answer = await worker.fetch(post('/run', { input: 1 }, { Origin: 'https://evil.example' }))
    expect(answer.headers.get('access-control-allow-origin')).not.toBe('https://evil.example')
    const fromFunction = start({ handler, cors: { origin: () => false } })
    const denied = await fromFunction.fetch(preflight('https://evil.example'))
    expect(denied.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('checks its options at start-up', () => {
    expect(() => start({ handler, cors: { origin: '' } })).toThrow(/cors.origin/)
    expect(() => start({ handler, cors: { origin: [] } })).toThrow(/cors.origin/)
    expect(() => start({ handler, cors: { origin: '*', credentials: true } })).toThrow(/credentials/)
  })
})

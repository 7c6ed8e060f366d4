// Webhooks end to end: a real worker on a real server posts to a real receiver that verifies
// Standard Webhooks signatures and fails the first attempts.
import { createServer } from 'node:http'
import type { IncomingHttpHeaders, Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { serverless } from 'edgepod'
import type { Job } from 'edgepod'

const secret = `whsec_${btoa('a secret of the receiver, 32 bytes')}`

interface Delivery {
  headers: IncomingHttpHeaders
  body: string
  verified: boolean
}

/** A receiver that answers 500 to the first `failFirst` attempts for each webhook id. */
let receiver: Server
let receiverUrl = ''
let failFirst = 0
const deliveries: Delivery[] = []
const attemptsById = new Map<string, number>()
const waiters: Array<() => void> = []

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk))
    req.on('end', () => {
      let verified = false
      try {
        new Webhook(secret).verify(body, req.headers as Record<string, string>)
        verified = true
      } catch {
        verified = false
      }
      deliveries.push({ headers: req.headers, body, verified })
      const id = String(req.headers['webhook-id'])
      const attempt = (attemptsById.get(id) ?? 0) + 1
      attemptsById.set(id, attempt)
      res.statusCode = attempt <= failFirst ? 500 : 200
      res.end()
      for (const wake of waiters.splice(0)) wake()
    })
  })
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook?token=t`
})
afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())))
beforeEach(() => {
  deliveries.length = 0
  attemptsById.clear()
  failFirst = 0
})

/** Resolves once the receiver has seen `count` deliveries. */
async function received(count: number): Promise<Delivery[]> {
  while (deliveries.length < count) await new Promise<void>((resolve) => waiters.push(resolve))
  return deliveries.slice(0, count)
}

const worker = serverless.start({
  handler: async function* (job: Job<{ mode: string }>) {
    yield 'first'
    if (job.input.mode === 'fail') throw new Error('model crashed')
    if (job.input.mode === 'hang') await new Promise((_, reject) => job.signal.addEventListener('abort', () => reject(job.signal.reason)))
  },
  returnAggregateStream: true,
  webhooks: { secret, initialDelay: 5, attempts: 4 },
})

const post = (path: string, body: unknown) =>
  worker.fetch(new Request(`http://edgepod.test${path}`, { method: 'POST', body: JSON.stringify(body) }))

describe('webhooks', () => {
  it('retry until the receiver accepts, signed, with the same id, carrying the full envelope', async () => {
    failFirst = 2
    const sync = await (await post('/runsync', { input: { mode: 'ok' }, webhook: receiverUrl })).json()
    expect(sync.status).toBe('COMPLETED')
    const seen = await received(3)
    expect(seen.map((d) => d.verified)).toEqual([true, true, true])
    expect(new Set(seen.map((d) => d.headers['webhook-id'])).size).toBe(1)
    const envelope = JSON.parse(seen[2]!.body)
    expect(envelope).toEqual({
      id: sync.id,
      status: 'COMPLETED',
      output: ['first'],
      delayTime: expect.any(Number),
      executionTime: expect.any(Number),
      workerId: expect.any(String),
      input: { mode: 'ok' },
      webhook: receiverUrl,
    })
  })

  it.each([
    ['FAILED', { mode: 'fail' }, {}, { error: 'model crashed', errorDetail: { type: 'Error', message: 'model crashed' } }],
    ['TIMED_OUT', { mode: 'hang' }, { executionTimeout: 50 }, { errorDetail: { type: 'TimeoutError' } }],
  ])('are sent for %s jobs too, with the error detail', async (status, input, policy, detail) => {
    await post('/run', { input, webhook: receiverUrl, policy })
    const [delivery] = await received(1)
    expect(delivery!.verified).toBe(true)
    expect(JSON.parse(delivery!.body)).toMatchObject({ status, output: ['first'], input, ...detail })
  })

  it('are sent for CANCELLED jobs', async () => {
    const { id } = await (await post('/run', { input: { mode: 'hang' }, webhook: receiverUrl })).json()
    await post(`/cancel/${id}`, undefined)
    const [delivery] = await received(1)
    expect(JSON.parse(delivery!.body)).toMatchObject({ id, status: 'CANCELLED' })
  })

  it('never hold up or fail the job, even when the receiver is down', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const sync = await (await post('/runsync', { input: { mode: 'ok' }, webhook: 'http://127.0.0.1:9/down' })).json()
    expect(sync.status).toBe('COMPLETED')
    await vi.waitFor(() => expect(warn).toHaveBeenCalledWith(expect.stringMatching(/webhook to 127\.0\.0\.1:9 not delivered after 4 attempts/)))
    warn.mockRestore()
  })

  it('run under the execution context’s waitUntil, as on Workers', async () => {
    const waitUntil = vi.fn()
    const request = new Request('http://edgepod.test/runsync', {
      method: 'POST',
      body: JSON.stringify({ input: { mode: 'ok' }, webhook: receiverUrl }),
    })
    await worker.fetch(request, {}, { waitUntil })
    // One for the job itself, one for its webhook delivery.
    expect(waitUntil).toHaveBeenCalledTimes(2)
    await Promise.all(waitUntil.mock.calls.map(([promise]) => promise))
    expect(deliveries).toHaveLength(1)
  })

  it('are signed with EDGEPOD_WEBHOOK_SECRET from the env when the config has no secret', async () => {
    const plain = serverless.start({ handler: () => 'ok', webhooks: { initialDelay: 5 } })
    const request = new Request('http://edgepod.test/runsync', { method: 'POST', body: JSON.stringify({ input: 1, webhook: receiverUrl }) })
    await plain.fetch(request, { EDGEPOD_WEBHOOK_SECRET: secret })
    const [delivery] = await received(1)
    expect(delivery!.verified).toBe(true)
  })

  it('refuse a malformed secret at start-up', () => {
    expect(() => serverless.start({ handler: () => 1, webhooks: { secret: 'not base64!' } })).toThrow(TypeError)
  })
})

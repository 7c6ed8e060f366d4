import { describe, expect, it } from 'vitest'
import { createClient } from './client.ts'
import { checkCallOptions, jobRequestBody } from './request.ts'

/** A client whose fetch records each request's method, path and JSON body, and answers `answer`. */
function recordingClient(answer: () => Response) {
  const sent: { method: string; path: string; body: unknown }[] = []
  const client = createClient({
    baseUrl: 'http://edgepod.test',
    fetch: async (url, init) => {
      sent.push({ method: init?.method ?? 'GET', path: new URL(url).pathname, body: init?.body === undefined ? undefined : JSON.parse(String(init.body)) })
      return answer()
    },
  })
  return { client, sent }
}

const json = (body: unknown) => new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } })

describe('jobRequestBody', () => {
  it('sends the request as it is, leaving out the fields that are undefined', () => {
    const policy = { executionTimeout: 1000, ttl: 5000, lowPriority: true }
    expect(jobRequestBody('run', { input: { prompt: 'hi' }, webhook: 'https://example.com/hook', policy, s3Config: { bucket: 'b' } })).toEqual({
      input: { prompt: 'hi' },
      webhook: 'https://example.com/hook',
      policy,
      s3Config: { bucket: 'b' },
    })
    expect(jobRequestBody('runSync', { input: 0, webhook: undefined })).toStrictEqual({ input: 0 })
    // Any input is an input, an object with its own `input` key included.
    expect(jobRequestBody('stream', { input: { input: 'nested on purpose' } })).toEqual({ input: { input: 'nested on purpose' } })
  })

  it('refuses a value that is not a request, naming the fix', () => {
    expect(() => jobRequestBody('run', 'hello')).toThrow(
      new TypeError('edgepod client: client.run takes a job request { input, webhook?, policy?, s3Config? }, not a string: call client.run({ input: … })')
    )
    expect(() => jobRequestBody('runSync', [1, 2])).toThrow('client.runSync takes a job request { input, webhook?, policy?, s3Config? }, not an array')
    expect(() => jobRequestBody('run', undefined)).toThrow('not undefined: call client.run({ input: … })')
    expect(() => jobRequestBody('stream', 42)).toThrow('client.stream takes a job id or a job request { input, webhook?, policy?, s3Config? }, not a number')
  })

  it('refuses a bare input object instead of sending it without an input', () => {
    expect(() => jobRequestBody('run', { prompt: 'hi' })).toThrow(
      new TypeError(
        "edgepod client: client.run takes a job request { input, webhook?, policy?, s3Config? }, and this object has no input: to send it as the job's input, call client.run({ input: yourObject })"
      )
    )
  })

  it('refuses a field the job API does not have, which the server would drop', () => {
    expect(() => jobRequestBody('runSync', { input: 'text', temperature: 0.5 })).toThrow(
      new TypeError(
        `edgepod client: a job request has no field "temperature" (it has input, webhook, policy, s3Config): put the job's data in input, client.runSync({ input: { … } })`
      )
    )
  })
})

describe('checkCallOptions', () => {
  it("refuses a request's field among the options, where the client once took it", () => {
    expect(() => checkCallOptions('run', { webhook: 'https://example.com/hook' })).toThrow(
      new TypeError('edgepod client: webhook is a field of the job request, not an option: client.run({ input, webhook })')
    )
    expect(() => checkCallOptions('runSync', { wait: 10, policy: { ttl: 1 } })).toThrow('client.runSync({ input, policy })')
    expect(() => checkCallOptions('run', { s3Config: undefined })).toThrow('s3Config is a field of the job request')
    expect(() => checkCallOptions('run', { signal: AbortSignal.timeout(1000) })).not.toThrow()
    expect(() => checkCallOptions('run', undefined)).not.toThrow()
  })
})

describe('the client sends one request shape', () => {
  const request = { input: { prompt: 'hi' }, webhook: 'https://example.com/hook', policy: { executionTimeout: 1000 }, s3Config: { bucket: 'b' } }

  it('the same body from run, runSync and a polled stream', async () => {
    const { client, sent } = recordingClient(() => json({ id: 'job-1', status: 'COMPLETED', output: [] }))
    await client.run(request)
    await client.runSync(request, { wait: 10 })
    // Polling creates the job with POST /run, then reads GET /stream/job-1 (COMPLETED: the end).
    for await (const output of client.stream(request, { poll: true })) expect.unreachable(`no output: ${String(output)}`)
    expect(sent.map(({ method, path }) => `${method} ${path}`)).toEqual(['POST /run', 'POST /runsync', 'POST /run', 'GET /stream/job-1'])
    for (const { body } of sent.slice(0, 3)) expect(body).toEqual(request)
  })

  it('throws at the call for a bare input, and sends nothing', () => {
    const { client, sent } = recordingClient(() => json({}))
    const bare = { prompt: 'hi' } as never
    expect(() => client.run(bare)).toThrow(TypeError)
    expect(() => client.runSync(bare)).toThrow('call client.runSync({ input: yourObject })')
    expect(() => client.stream(bare)).toThrow('call client.stream({ input: yourObject })')
    expect(() => client.run({ input: 1 }, { policy: { ttl: 1 } } as never)).toThrow('policy is a field of the job request')
    expect(sent).toEqual([])
  })
})

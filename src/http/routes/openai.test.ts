/**
 * The OpenAI-compatible routes through the official `openai` client, in process (its `fetch` is
 * the worker's): streamed and whole chat completions and completions, models, a client that
 * breaks out of its stream, errors in OpenAI's shape, raw SSE passed through; and the AI SDK's
 * OpenAI-compatible provider, another client of the same protocol. The conformance suite runs the
 * `openai` client against every runtime.
 */
import { createOpenAICompatible } from '@ai-sdk/openai-compatible'
import { generateText, streamText } from 'ai'
import OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import { openaiHandler, serverless } from '../../index.ts'

const words = ['Hello', ',', ' world']

function workerWith(handler = openaiHandler({ model: 'edgepod-test', chat: () => words, complete: () => words }), extra = {}) {
  return serverless.start({ handler, disconnectGrace: 0, ...extra } as never)
}

/** An `openai` client whose requests the worker answers, under `prefix`. */
function clientOf(worker: { fetch(request: Request): Response | Promise<Response> }, prefix = '', apiKey = 'none') {
  return new OpenAI({
    apiKey,
    baseURL: `http://edgepod.test${prefix}/openai/v1`,
    fetch: (url, init) => Promise.resolve(worker.fetch(new Request(url as string, init as RequestInit))),
    maxRetries: 0,
  })
}

describe('the OpenAI-compatible routes, through the openai client', () => {
  for (const prefix of ['', '/v2/endpoint']) {
    it(`streams a chat completion token by token, and answers a whole one (${prefix || '/'})`, async () => {
      const client = clientOf(workerWith(), prefix)
      const stream = await client.chat.completions.create({ model: 'edgepod-test', messages: [{ role: 'user', content: 'hi' }], stream: true })
      const pieces: string[] = []
      let finish: string | null = null
      for await (const chunk of stream) {
        pieces.push(chunk.choices[0]?.delta.content ?? '')
        finish = chunk.choices[0]?.finish_reason ?? finish
      }
      expect(pieces.join('')).toBe('Hello, world')
      expect(finish).toBe('stop')
      const whole = await client.chat.completions.create({ model: 'edgepod-test', messages: [{ role: 'user', content: 'hi' }] })
      expect(whole.choices[0]?.message.content).toBe('Hello, world')
      expect(whole.object).toBe('chat.completion')
    })
  }

  it('answers completions, streamed and whole, and lists the model', async () => {
    const client = clientOf(workerWith())
    const texts: string[] = []
    for await (const piece of await client.completions.create({ model: 'edgepod-test', prompt: 'say', stream: true })) texts.push(piece.choices[0]?.text ?? '')
    expect(texts.join('')).toBe('Hello, world')
    expect((await client.completions.create({ model: 'edgepod-test', prompt: 'say' })).choices[0]?.text).toBe('Hello, world')
    const models = await client.models.list()
    expect(models.data.map((model) => model.id)).toEqual(['edgepod-test'])
  })

  it('sends data lines alone and ends with [DONE]; passes a yielded string that is SSE already as it is', async () => {
    const raw = workerWith((() =>
      (async function* () {
        yield 'data: {"raw":1}\n\n'
        yield { object: 'chat.completion.chunk', choices: [] }
      })()) as never)
    const response = await raw.fetch(new Request('http://edgepod.test/openai/v1/chat/completions', { method: 'POST', body: JSON.stringify({ stream: true, messages: [] }) }))
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(await response.text()).toBe(': edgepod\n\ndata: {"raw":1}\n\ndata: {"object":"chat.completion.chunk","choices":[]}\n\ndata: [DONE]\n\n')
  })

  it('cancels the job when the client breaks out of its stream: its finally runs', async () => {
    let finallyRan = false
    const endless = workerWith(openaiHandler({
      model: 'm',
      chat: async function* () {
        try {
          for (let i = 0; ; i++) {
            yield `t${i} `
            await new Promise((resolve) => setTimeout(resolve, 5))
          }
        } finally {
          finallyRan = true
        }
      },
    }))
    const client = clientOf(endless)
    const { data: stream, response } = await client.chat.completions.create({ model: 'm', messages: [], stream: true }).withResponse()
    let seen = 0
    for await (const _chunk of stream) if (++seen === 3) break
    const id = response.headers.get('x-job-id')!
    await expect.poll(async () => (await (await endless.fetch(new Request(`http://edgepod.test/status/${id}`))).json()).status).toBe('CANCELLED')
    await expect.poll(() => finallyRan).toBe(true)
  })

  it('refuses a bad key with 401 in OpenAI’s shape, which the SDK raises as AuthenticationError', async () => {
    const secured = workerWith(undefined, { apiKey: 'right' })
    await expect(clientOf(secured, '', 'wrong').models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError)
    const refused = await secured.fetch(new Request('http://edgepod.test/openai/v1/models', { headers: { authorization: 'Bearer wrong' } }))
    expect(refused.status).toBe(401)
    expect(await refused.json()).toEqual({ error: { message: expect.any(String), type: 'authentication_error', param: null, code: 'invalid_api_key' } })
    expect((await clientOf(secured, '', 'right').models.list()).data).toHaveLength(1)
  })

  it('tells a failed job as an OpenAI error: mid-stream as an error line, whole with its status', async () => {
    const failing = workerWith(openaiHandler({
      model: 'm',
      chat: async function* () {
        yield 'partial'
        throw new Error('the model crashed')
      },
    }))
    const client = clientOf(failing)
    const stream = await client.chat.completions.create({ model: 'm', messages: [], stream: true })
    const got: string[] = []
    await expect(
      (async () => {
        for await (const chunk of stream) got.push(chunk.choices[0]?.delta.content ?? '')
      })()
    ).rejects.toThrow('the model crashed')
    expect(got.join('')).toBe('partial')
    const whole = failing.fetch(new Request('http://edgepod.test/openai/v1/chat/completions', { method: 'POST', body: '{"messages":[]}' }))
    const answer = await whole
    expect(answer.status).toBe(500)
    expect((await answer.json()).error).toMatchObject({ message: 'the model crashed', type: 'server_error' })
    const bad = await failing.fetch(new Request('http://edgepod.test/openai/v1/chat/completions', { method: 'POST', body: '[1]' }))
    expect([bad.status, (await bad.json()).error.type]).toEqual([400, 'invalid_request_error'])
  })
})

describe('the OpenAI-compatible routes, through the AI SDK', () => {
  it('generates and streams text with @ai-sdk/openai-compatible', async () => {
    const worker = workerWith()
    const provider = createOpenAICompatible({
      name: 'edgepod',
      baseURL: 'http://edgepod.test/v2/endpoint/openai/v1',
      fetch: (url, init) => Promise.resolve(worker.fetch(new Request(url as string, init as RequestInit))),
    })
    const { text, finishReason } = await generateText({ model: provider('edgepod-test'), prompt: 'hi' })
    expect([text, finishReason]).toEqual(['Hello, world', 'stop'])
    const streamed = streamText({ model: provider('edgepod-test'), prompt: 'hi' })
    let collected = ''
    for await (const delta of streamed.textStream) collected += delta
    expect(collected).toBe('Hello, world')
    expect(await streamed.finishReason).toBe('stop')
  })
})

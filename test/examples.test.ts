// Every runnable example, started the way its README says (through the same launchers as the
// conformance suite), answers a real job: examples that rot fail CI.
import OpenAI from 'openai'
import { afterEach, describe, expect, it } from 'vitest'
import { runtimes } from './conformance/runtimes/index.ts'
import type { RuntimeName } from './conformance/runtimes/index.ts'
import type { RuntimeServer } from './conformance/runtimes/runtime.ts'

const examples: Array<[RuntimeName, string, string[]]> = [
  ['node', 'examples/tokens.ts', ['Generated async token output 0', 'Generated async token output 1']],
  ['bun', 'examples/bun/worker.ts', ['token 0', 'token 1']],
  ['deno', 'examples/deno/worker.ts', ['token 0', 'token 1']],
  // Through the launcher's own config, without the top-level wrangler.toml's [vars]: the default prefix.
  ['workerd', 'examples/cloudflare-workers/worker.ts', ['token 0', 'token 1']],
]

let server: RuntimeServer | undefined
afterEach(async () => {
  await server?.stop()
  server = undefined
})

describe('examples', () => {
  it.each(examples)('%s serves %s', async (runtime, file, output) => {
    server = await runtimes[runtime](file)
    const response = await fetch(`${server.url}/runsync`, { method: 'POST', body: JSON.stringify({ input: { count: 2, delay: 10 } }) })
    const status = await response.json()
    expect(status).toMatchObject({ status: 'COMPLETED', output })
    expect(status.output).toHaveLength(2)
  }, 60_000)

  it('serves the openai client from examples/openai/worker.ts, streamed and whole', async () => {
    server = await runtimes.node('examples/openai/worker.ts')
    const client = new OpenAI({ apiKey: 'none', baseURL: `${server.url}/openai/v1`, maxRetries: 0 })
    let streamed = ''
    for await (const chunk of await client.chat.completions.create({ model: 'echo-1', messages: [{ role: 'user', content: 'hello there' }], stream: true })) {
      streamed += chunk.choices[0]?.delta.content ?? ''
    }
    expect(streamed).toBe('You said: hello there')
    const whole = await client.completions.create({ model: 'echo-1', prompt: 'one' })
    expect(whole.choices[0]?.text).toBe('one and so on')
  })

  it('serves the browser page beside the API', async () => {
    server = await runtimes.node('examples/browser/worker.ts')
    const page = await (await fetch(`${server.url}/`)).text()
    expect(page).toContain("new EventSource('/stream/' + id)")
    const sync = await (await fetch(`${server.url}/runsync`, { method: 'POST', body: '{"input":{"count":1,"delay":1}}' })).json()
    expect(sync.status).toBe('COMPLETED')
  })
})

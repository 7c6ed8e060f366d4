// The Deno adapter against a stand-in `Deno` global: what it hands `Deno.serve`, and what it
// returns. The real Deno.serve is exercised by the conformance suite and the examples.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { DenoServeOptions } from './runtime.ts'

const worker = { fetch: vi.fn((_request: Request, env?: unknown) => Response.json(env)) }
const info = { remoteAddr: {}, completed: Promise.resolve() }

function fakeDeno(envState: 'granted' | 'prompt') {
  let signal: AbortSignal | undefined
  const deno = {
    env: { toObject: () => ({ EDGEPOD_API_KEY: 'k' }) },
    permissions: { querySync: () => ({ state: envState }) },
    serve: vi.fn((options: DenoServeOptions) => {
      signal = options.signal
      const finished = new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve()))
      return { addr: { hostname: options.hostname ?? '0.0.0.0', port: options.port || 41234 }, finished }
    }),
  }
  vi.stubGlobal('Deno', deno)
  return { deno, signal: () => signal }
}

// The adapter reads the environment once per process: each test gets a fresh module.
const adapter = () => import('./index.ts')
beforeEach(() => vi.resetModules())
afterEach(() => {
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
  worker.fetch.mockClear()
})

describe('forDeno', () => {
  it('passes the process environment when --allow-env granted it', async () => {
    fakeDeno('granted')
    const { forDeno } = await adapter()
    const response = await forDeno(worker).fetch(new Request('http://x/'), info)
    expect(await response.json()).toEqual({ EDGEPOD_API_KEY: 'k' })
  })

  it('passes {} and warns, without prompting, when it did not', async () => {
    fakeDeno('prompt')
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const { forDeno } = await adapter()
    const exported = forDeno(worker)
    forDeno(worker)
    expect(await (await exported.fetch(new Request('http://x/'), info)).json()).toEqual({})
    expect(warn).toHaveBeenCalledTimes(1)
    expect(warn.mock.calls[0]?.[0]).toMatch(/--allow-env/)
  })

  it('keeps a given env and says it needs Deno when there is none', async () => {
    const { forDeno } = await adapter()
    expect(() => forDeno(worker)).toThrow(/runs on Deno only/)
    fakeDeno('prompt')
    void forDeno(worker, { env: { a: 1 } }).fetch(new Request('http://x/'), info)
    expect(worker.fetch).toHaveBeenCalledWith(expect.any(Request), { a: 1 })
  })
})

describe('serve', () => {
  it('listens on 127.0.0.1:8000 quietly, and closes by aborting its signal', async () => {
    const { deno, signal } = fakeDeno('granted')
    const { serve } = await adapter()
    const server = await serve(worker)
    expect(deno.serve).toHaveBeenCalledWith(
      expect.objectContaining({ port: 8000, hostname: '127.0.0.1', onListen: expect.any(Function) }),
      expect.any(Function)
    )
    expect(server).toMatchObject({ port: 8000, url: 'http://127.0.0.1:8000' })
    expect(signal()?.aborted).toBe(false)
    await server.close()
    expect(signal()?.aborted).toBe(true)
  })

  it('reports the real port of port 0, and brackets an IPv6 host', async () => {
    fakeDeno('granted')
    const { serve } = await adapter()
    expect(await serve(worker, { port: 0, hostname: '::1' })).toMatchObject({ port: 41234, url: 'http://[::1]:41234' })
  })
})

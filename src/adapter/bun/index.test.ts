// The Bun adapter against a stand-in `Bun` global: what it hands `Bun.serve`, and what it returns.
// The real Bun.serve is exercised by the conformance suite (test/conformance/runtimes/bun.ts).
import { afterEach, describe, expect, it, vi } from 'vitest'
import { forBun, serve } from './index.ts'
import type { BunServeOptions } from './runtime.ts'

const worker = { fetch: vi.fn((_request: Request, env?: unknown) => Response.json(env)) }

function fakeBun() {
  const stop = vi.fn(async () => {})
  const bun = {
    env: { EDGEPOD_API_KEY: 'k' },
    serve: vi.fn((options: BunServeOptions) => ({ port: options.port || 41234, stop })),
  }
  vi.stubGlobal('Bun', bun)
  return { bun, stop }
}

afterEach(() => {
  vi.unstubAllGlobals()
  worker.fetch.mockClear()
})

describe('forBun', () => {
  it('turns the idle limit off, passes Bun.env, and leaves the port to Bun', async () => {
    const { bun } = fakeBun()
    const exported = forBun(worker)
    expect(exported).toEqual({ fetch: expect.any(Function), idleTimeout: 0 })
    const response = await exported.fetch(new Request('http://x/'), { port: 1, stop: async () => {} })
    expect(await response.json()).toEqual(bun.env)
  })

  it('keeps a given env, idle timeout, port and hostname', () => {
    fakeBun()
    const exported = forBun(worker, { env: { a: 1 }, idleTimeout: 255, port: 9000, hostname: '::1' })
    expect(exported).toMatchObject({ idleTimeout: 255, port: 9000, hostname: '::1' })
    void exported.fetch(new Request('http://x/'), { port: 9000, stop: async () => {} })
    expect(worker.fetch).toHaveBeenCalledWith(expect.any(Request), { a: 1 })
  })

  it('says it needs Bun when there is none', () => {
    expect(() => forBun(worker)).toThrow(/runs on Bun only/)
  })
})

describe('serve', () => {
  it('listens on 127.0.0.1:8000 by default and closes open connections too', async () => {
    const { bun, stop } = fakeBun()
    const server = await serve(worker)
    expect(bun.serve).toHaveBeenCalledWith(expect.objectContaining({ port: 8000, hostname: '127.0.0.1', idleTimeout: 0 }))
    expect(server).toMatchObject({ port: 8000, url: 'http://127.0.0.1:8000' })
    await server.close()
    expect(stop).toHaveBeenCalledWith(true)
  })

  it('reports the real port of port 0, and brackets an IPv6 host', async () => {
    fakeBun()
    const server = await serve(worker, { port: 0, hostname: '::1' })
    expect(server).toMatchObject({ port: 41234, url: 'http://[::1]:41234' })
  })
})

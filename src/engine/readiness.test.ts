/**
 * Readiness through a real Node server: `setup` started by the first request, `/ping` 204 while it
 * runs and jobs queued meanwhile, 200 after; a failing setup told by `/ping` (503 `setup_failed`),
 * `/health` and the log, and every job failing with its error instead of waiting.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { serverless } from '../index.ts'
import { serve } from '../adapter/node/index.ts'
import type { NodeServer } from '../adapter/node/index.ts'

const servers: NodeServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
  vi.restoreAllMocks()
})

async function served(config: Parameters<typeof serverless.start>[0]) {
  const server = await serve(serverless.start(config), { port: 0 })
  servers.push(server)
  const get = (path: string) => fetch(`${server.url}${path}`)
  const json = async (path: string, body?: unknown): Promise<any> =>
    (await fetch(`${server.url}${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) })).json()
  return { get, json }
}

describe('readiness', () => {
  it('answers /ping 204 while setup runs, queues jobs meanwhile, and 200 once it has', async () => {
    let finish!: () => void
    const setupCalls: unknown[] = []
    const started: string[] = []
    const { get, json } = await served({
      setup: (env) => {
        setupCalls.push(env)
        return new Promise<void>((resolve) => (finish = resolve))
      },
      handler: async (job) => {
        started.push(job.id)
        return 'done'
      },
    })
    const ping = await get('/ping')
    expect([ping.status, await ping.text()]).toEqual([204, ''])
    const { id } = await json('/run', { input: {} })
    expect((await json(`/status/${id}`)).status).toBe('IN_QUEUE')
    expect((await json('/health')).workers).toMatchObject({ initializing: 1, ready: 0, throttled: 0 })
    expect(started).toEqual([])
    finish()
    await vi.waitFor(async () => expect((await json(`/status/${id}`)).status).toBe('COMPLETED'))
    const ready = await get('/ping')
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'healthy' }])
    expect((await json('/health')).workers).toMatchObject({ initializing: 0, ready: 1 })
    // Once, whatever the requests.
    expect(setupCalls).toHaveLength(1)
  })

  it('tells a failed setup in /ping, /health and the log, and fails every job with its error', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    const { get, json } = await served({
      setup: async () => {
        throw new Error('the model weights are missing')
      },
      handler: () => 'never',
    })
    await get('/ping')
    await vi.waitFor(async () => expect((await get('/ping')).status).toBe(503))
    expect(await (await get('/ping')).json()).toEqual({ error: 'setup failed: the model weights are missing', code: 'setup_failed' })
    expect((await json('/health')).workers).toMatchObject({ initializing: 0, ready: 0 })
    expect(String(logged.mock.calls[0]?.[0])).toContain('setup failed')
    const sync = await json('/runsync', { input: {} })
    expect(sync).toMatchObject({ status: 'FAILED', error: 'setup failed: the model weights are missing' })
  })

  it('answers /ping 200 at once without a setup', async () => {
    const { get } = await served({ handler: () => 1 })
    expect((await get('/ping')).status).toBe(200)
  })

  it('hands the setup the env of the request that started it (a Worker’s bindings)', async () => {
    let seen: unknown
    const worker = serverless.start({ setup: (env: { MODEL: string }) => void (seen = env.MODEL), handler: () => 1 })
    await worker.fetch(new Request('http://x/ping'), { MODEL: 'llama' })
    expect(seen).toBe('llama')
  })
})

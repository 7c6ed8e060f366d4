/**
 * RunPod's `refresh_worker` in one process, through the worker's routes: asked by a result or by
 * the config, the process drains (no new job here, the jobs it holds run to their end, its readers
 * read to the end) and exits once; with a store shared by processes it keeps taking submissions
 * for the others and claims nothing. The exit is a spy here; `src/adapter/main-module/detect.test.ts`
 * and `test/cli.test.ts` see real processes exit and come back.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import type { WorkerConfig } from '../config.ts'
import { resolveConfig } from '../config.ts'
import { createApp } from '../http/app.ts'
import { JobEngine } from './engine.ts'
import { processExit } from './refresh.ts'
import { gate } from '../../test/helpers/gate.ts'
import { startRedis } from '../../test/helpers/redis-server.ts'
import type { TestRedis } from '../../test/helpers/redis-server.ts'
import { redisStore } from '../adapter/redis/index.ts'
import type { RedisStore } from '../adapter/redis/index.ts'

const engines: JobEngine[] = []
afterEach(() => {
  for (const engine of engines.splice(0)) engine.close()
  vi.restoreAllMocks()
})

/** A worker whose refresh calls a spy instead of ending the process. */
function workerWith(config: WorkerConfig) {
  const resolved = resolveConfig(config)
  const exit = vi.fn()
  const engine = new JobEngine({ ...resolved.engine, exit }, resolved.store)
  engines.push(engine)
  const app = createApp(engine, resolved.app)
  const ask = (path: string, body?: unknown) =>
    Promise.resolve(app.fetch(new Request(`http://edgepod.test${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) })))
  const json = async (path: string, body?: unknown): Promise<any> => (await ask(path, body)).json()
  return { engine, exit, ask, json }
}

beforeEach(() => {
  // The refresh says it drains, once per worker; the tests see it in the spy's calls.
  vi.spyOn(console, 'error').mockImplementation(() => {})
})

describe('refresh_worker', () => {
  it('after a result that asks, refuses new jobs with 503 draining, lets the running and queued ones end, then exits once', async () => {
    const slow = gate()
    const { exit, ask, json } = workerWith({
      concurrencyModifier: 2,
      handler: async (job: { input: { tag: string; refresh?: boolean } }) => {
        if (job.input.tag === 'slow') await slow.promise
        return { tag: job.input.tag, refresh_worker: job.input.refresh === true }
      },
    })
    const running = await json('/run', { input: { tag: 'slow' } })
    const refreshing = await json('/runsync', { input: { tag: 'asks', refresh: true } })
    expect(refreshing).toMatchObject({ status: 'COMPLETED', output: { tag: 'asks' } })
    expect(refreshing.output).not.toHaveProperty('refresh_worker')

    for (const [path, body] of [['/run', { input: {} }], ['/runsync', { input: {} }], ['/stream', { input: {} }]] as const) {
      const refused = await ask(path, body)
      expect([path, refused.status, refused.headers.get('Retry-After'), (await refused.json()).code]).toEqual([path, 503, '1', 'draining'])
    }
    const ping = await ask('/ping')
    expect([ping.status, (await ping.json()).code]).toEqual([503, 'draining'])
    expect(exit).not.toHaveBeenCalled()

    slow.open()
    await vi.waitFor(() => expect(exit).toHaveBeenCalledTimes(1), { timeout: 3_000 })
    expect(await json(`/status/${running.id}`)).toMatchObject({ status: 'COMPLETED', output: { tag: 'slow' } })
  })

  it('runs the jobs already queued in its own store before it exits: nothing accepted is lost', async () => {
    const first = gate()
    const started: string[] = []
    const { exit, json } = workerWith({
      concurrencyModifier: 1,
      handler: async (job: { input: { tag: string } }) => {
        started.push(job.input.tag)
        if (job.input.tag === 'first') await first.promise
        return { tag: job.input.tag, refresh_worker: job.input.tag === 'first' }
      },
    })
    await json('/run', { input: { tag: 'first' } })
    const queued = await json('/run', { input: { tag: 'queued' } })
    first.open()
    await vi.waitFor(() => expect(exit).toHaveBeenCalledTimes(1), { timeout: 3_000 })
    expect(started).toEqual(['first', 'queued'])
    expect((await json(`/status/${queued.id}`)).status).toBe('COMPLETED')
  })

  it('with the config key, refreshes after every job, streaming ones too, and waits for the stream reader to read to the end', async () => {
    const { exit, ask } = workerWith({
      refresh_worker: true,
      handler: async function* () {
        yield 'a'
        yield 'b'
      },
    })
    // Every timer of the refresh is the test's: the reader takes as long as the test says.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    try {
      const stream = await ask('/stream', { input: {} })
      expect(stream.status).toBe(200)
      // The job ended, but its reader has not read yet: however long it takes, the process must not exit under it.
      await vi.waitFor(async () => expect((await (await ask('/ping')).json()).code).toBe('draining'))
      vi.advanceTimersByTime(60_000)
      expect(exit).not.toHaveBeenCalled()
      const text = await stream.text()
      expect(text).toContain('event: done')
      await vi.waitFor(() => {
        vi.advanceTimersByTime(1_000)
        expect(exit).toHaveBeenCalledTimes(1)
      })
    } finally {
      vi.useRealTimers()
    }
    expect(console.error).toHaveBeenCalledWith('edgepod: refresh_worker: draining, then exiting for a fresh process')
  })

  it('is not asked by a result without it, nor by refresh_worker: false', async () => {
    const { exit, json } = workerWith({ handler: (job: { input: { refresh?: boolean } }) => ({ done: true, refresh_worker: job.input.refresh }) })
    expect((await json('/runsync', { input: { refresh: false } })).status).toBe('COMPLETED')
    expect((await json('/runsync', { input: {} })).status).toBe('COMPLETED')
    expect((await json('/ping')).status).toBe('healthy')
    expect(exit).not.toHaveBeenCalled()
  })

  it('does nothing where a worker cannot end itself (Workers), and refuses a refresh_worker that is not a boolean', async () => {
    vi.stubGlobal('navigator', { userAgent: 'Cloudflare-Workers' })
    try {
      expect(processExit()).toBeUndefined()
    } finally {
      vi.unstubAllGlobals()
    }
    expect(processExit()).toBeTypeOf('function')
    const resolved = resolveConfig({ handler: () => ({ refresh_worker: true }), refresh_worker: true })
    const engine = new JobEngine({ ...resolved.engine, exit: undefined }, resolved.store)
    engines.push(engine)
    const app = createApp(engine, resolved.app)
    const answer = await app.fetch(new Request('http://edgepod.test/runsync', { method: 'POST', body: '{"input":{}}' }))
    expect((await answer.json()).status).toBe('COMPLETED')
    expect(engine.refresh.draining).toBe(false)
    expect(() => resolveConfig({ handler: () => 1, refresh_worker: 'yes' as never })).toThrow('edgepod: refreshWorker must be true or false, got yes')
  })
})

describe('refresh_worker with a store shared by processes', () => {
  let redis: TestRedis
  const stores: RedisStore[] = []
  beforeAll(async () => {
    redis = await startRedis()
  })
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()))
    await redis?.close()
  })

  it('keeps taking submissions for the fleet, claims none of them, and another member runs them', async () => {
    const member = async (name: string) => {
      const store = await redisStore({ url: redis.url, prefix: 'refresh' })
      stores.push(store)
      return workerWith({
        store,
        workerId: name,
        handler: (job: { input: { refresh?: boolean } }) => ({ by: name, refresh_worker: job.input.refresh === true }),
      })
    }
    const draining = await member('draining')
    const refreshing = await draining.json('/runsync', { input: { refresh: true } })
    expect(refreshing).toMatchObject({ status: 'COMPLETED', output: { by: 'draining' } })
    await vi.waitFor(() => expect(draining.exit).toHaveBeenCalledTimes(1), { timeout: 3_000 })

    const submitted = await draining.ask('/run', { input: {} })
    expect(submitted.status).toBe(200)
    const { id } = await submitted.json()
    const other = await member('other')
    // The other member claims it (a sweep or the doorbell); the draining one never does.
    await vi.waitFor(async () => expect(await other.json(`/status/${id}`)).toMatchObject({ status: 'COMPLETED', output: { by: 'other' } }), {
      timeout: 10_000,
    })
  })
})

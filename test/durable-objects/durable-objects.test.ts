// edgepod's Durable Object store on workerd (wrangler dev): what only it does. The routes'
// behaviour is the conformance suite's, which runs on this store too ('workerd-do').
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RuntimeServer } from '../conformance/runtimes/runtime.ts'
import { sseReader as events } from '../helpers/sse-reader.ts'
import { durableObjectConfig, launchWorkerd } from '../conformance/runtimes/workerd.ts'

const WORKER = 'test/durable-objects/worker.ts'

let stateDir = ''
let server: RuntimeServer | undefined
const launch = async () => (server = await launchWorkerd(WORKER, { extraConfig: durableObjectConfig, stateDir }))

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'edgepod-do-state-'))
  await launch()
}, 60_000)
afterAll(async () => {
  await server?.stop()
  await rm(stateDir, { recursive: true, force: true })
})

const url = (path: string) => `${server!.url}${path}`
const post = (path: string, body?: unknown) => fetch(url(path), { method: 'POST', body: body === undefined ? undefined : JSON.stringify(body) })
const getJson = async (path: string) => (await fetch(url(path))).json()


describe('the Durable Object store', () => {
  it('queues past the concurrency limit for the whole deployment: /health counts, /purge-queue empties it', async () => {
    const running = await (await post('/run', { input: { mode: 'stuck' } })).json()
    const queued = [await (await post('/run', { input: { count: 1 } })).json(), await (await post('/run', { input: { count: 1 } })).json()]
    await expect.poll(async () => (await getJson('/health')).jobs).toMatchObject({ inProgress: 1, inQueue: 2 })
    expect(await (await post('/purge-queue')).json()).toEqual({ removed: 2, status: 'completed' })
    for (const job of queued) expect((await getJson(`/status/${job.id}`)).status).toBe('CANCELLED')
    await post(`/cancel/${running.id}`)
    expect((await getJson('/health')).jobs).toMatchObject({ inProgress: 0, inQueue: 0 })
  })

  it('gives several readers the same log', async () => {
    const { id } = await (await post('/run', { input: { count: 5, delay: 30 } })).json()
    const readers = [0, 1, 2].map(() => fetch(url(`/stream/${id}`), { headers: { accept: 'text/event-stream' } }))
    const logs = await Promise.all(readers.map(async (response) => (await events(await response).take(6)).map((e) => `${e.id}:${e.event}:${e.data.slice(0, 12)}`)))
    expect(logs[1]).toEqual(logs[0])
    expect(logs[2]).toEqual(logs[0])
    expect(logs[0]).toHaveLength(6)
  })

  it('survives a restart in the middle of a stream: /status answers, and a reader resumes across it', async () => {
    const { id } = await (await post('/run', { input: { mode: 'forever', delay: 20 } })).json()
    const reader = events(await fetch(url(`/stream/${id}`), { headers: { accept: 'text/event-stream' } }))
    const seen = await reader.take(5)
    await reader.cancel()
    // Let the job run well past what the reader saw: everything it saw, and what /status showed,
    // was written before it was shown.
    await expect.poll(async () => (await getJson(`/status/${id}`)).output.length, { timeout: 5_000 }).toBeGreaterThan(30)
    await server!.stop()
    await launch()
    const status = await getJson(`/status/${id}`)
    expect(status).toMatchObject({ status: 'FAILED', errorDetail: { type: 'RestartError', code: 'restarted' } })
    expect(status.output.length).toBeGreaterThan(20)
    expect(status.output.slice(0, 5)).toEqual(seen.map((e) => JSON.parse(e.data)))
    const rest = await events(await fetch(url(`/stream/${id}`), { headers: { accept: 'text/event-stream', 'last-event-id': seen.at(-1)!.id! } })).take(Infinity)
    const ids = [...seen, ...rest].map((e) => Number(e.id))
    expect(ids).toEqual(ids.map((_, i) => i + 1))
    expect(rest.filter((e) => e.event === 'output').map((e) => JSON.parse(e.data))).toEqual(status.output.slice(5))
    expect(JSON.parse(rest.at(-1)!.data)).toMatchObject({ status: 'FAILED' })
    // The same job runs again under the same id.
    expect((await post(`/retry/${id}`)).status).toBe(200)
    await post(`/cancel/${id}`)
  }, 60_000)

  it('deletes expired jobs from storage: gone before and after a restart', async () => {
    const sync = await (await post('/runsync', { input: { count: 1 }, policy: { ttl: 1_000 } })).json()
    expect(sync.status).toBe('COMPLETED')
    await expect.poll(async () => (await fetch(url(`/status/${sync.id}`))).status, { timeout: 5_000 }).toBe(404)
    await server!.stop()
    await launch()
    expect((await fetch(url(`/status/${sync.id}`))).status).toBe(404)
  }, 60_000)
})

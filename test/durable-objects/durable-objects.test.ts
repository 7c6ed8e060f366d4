// edgepod's Durable Objects on workerd (wrangler dev), one per job and a coordinator: what only
// they do. The routes' behaviour is the conformance suite's, which runs on them too ('workerd-do');
// src/adapter/cloudflare-workers/durable-object.test.ts runs the objects in memory, with faults.
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

  it('costs the coordinator 2 calls a job, and none for its readers', async () => {
    const before = await getJson('/_test/coordinator-calls')
    const jobs = await Promise.all([1, 2, 3].map(async () => (await (await post('/run', { input: { count: 3, delay: 20 } })).json()).id as string))
    for (const id of jobs) {
      for (let reader = 0; reader < 3; reader++) await events(await fetch(url(`/stream/${id}`), { headers: { accept: 'text/event-stream' } })).take(Infinity)
      for (let poll = 0; poll < 3; poll++) await getJson(`/status/${id}`)
    }
    const after = await getJson('/_test/coordinator-calls')
    expect({ enqueue: after.enqueue - before.enqueue, ended: after.ended - before.ended, health: after.health - before.health }).toEqual({ enqueue: 3, ended: 3, health: 0 })
  })

  it('replays from storage an end the coordinator did not hear, then a grant a job did not take', async () => {
    // The first job's end fails to reach the coordinator: its slot stays held, the second waits.
    await post('/_test/fail-next/ended')
    const first = await (await post('/run', { input: { count: 1 } })).json()
    await expect.poll(async () => (await getJson(`/status/${first.id}`)).status).toBe('COMPLETED')
    expect((await getJson('/health')).jobs.inProgress).toBe(1)
    // The replayed end frees the slot; the grant it brings the second job fails once too.
    await post('/_test/fail-next/grant')
    const second = await (await post('/run', { input: { count: 1 } })).json()
    expect((await getJson(`/status/${second.id}`)).status).toBe('IN_QUEUE')
    // The alarms (a second apart) replay both.
    await expect.poll(async () => (await getJson(`/status/${second.id}`)).status, { timeout: 15_000, interval: 200 }).toBe('COMPLETED')
    await expect.poll(async () => (await getJson('/health')).jobs).toMatchObject({ inProgress: 0, inQueue: 0 })
  }, 30_000)

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

  it('keeps its queue through a restart: the queued jobs run after it, in order', async () => {
    const running = await (await post('/run', { input: { mode: 'stuck' } })).json()
    const queued = [await (await post('/run', { input: { count: 1, tag: 'q1' } })).json(), await (await post('/run', { input: { count: 1, tag: 'q2' } })).json()]
    await expect.poll(async () => (await getJson('/health')).jobs).toMatchObject({ inProgress: 1, inQueue: 2 })
    await server!.stop()
    await launch()
    // The running job ended restarted, its slot went to the queue, which drains in order.
    expect(await getJson(`/status/${running.id}`)).toMatchObject({ status: 'FAILED', errorDetail: { code: 'restarted' } })
    for (const job of queued) await expect.poll(async () => (await getJson(`/status/${job.id}`)).status, { timeout: 10_000 }).toBe('COMPLETED')
    // The handler's probes (the objects run in the Worker's isolate under wrangler dev) say when each started.
    const [first, second] = [await getJson('/_probe/q1'), await getJson('/_probe/q2')]
    expect(first.started).toBeLessThanOrEqual(second.started)
    expect((await getJson('/health')).jobs).toMatchObject({ inProgress: 0, inQueue: 0 })
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

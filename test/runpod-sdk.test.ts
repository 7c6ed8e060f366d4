/**
 * RunPod's own JavaScript client, `runpod-sdk` from npm, unchanged, against a real edgepod server:
 * every method it has, with its Bearer key, its `/status-sync` long-poll loop and its polled stream.
 */
import { setTimeout as delay } from 'node:timers/promises'
import runpodSdk from 'runpod-sdk'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { serverless } from 'edgepod'
import type { Job } from 'edgepod'
import type { FetchHandler } from 'edgepod/node'
import { serveRecording } from './helpers/recording-server.ts'
import type { SeenRequest } from './helpers/recording-server.ts'
import type { NodeServer } from 'edgepod/node'

/**
 * The SDK logs every status its runSync loop polls through `const print = console.log`, bound when
 * the module loads: a spy set up in a test comes too late. This one runs before the imports.
 */
const sdkLog = vi.hoisted(() => vi.spyOn(console, 'log').mockImplementation(() => {}))

const API_KEY = 'test-key'

interface Input {
  mode: 'count' | 'sleep' | 'fail' | 'hang' | 'gate' | 'quiet'
  tag?: string
  count?: number
  delay?: number
}

/** A gate the test opens, and what the handler reports back, keyed by the input's tag. */
interface Probe {
  open?: () => void
  opened: Promise<void>
  started: boolean
  finallyRan: boolean
  endedAt?: number
}
const probes = new Map<string, Probe>()
function probe(tag: string): Probe {
  let found = probes.get(tag)
  if (!found) {
    let open!: () => void
    const opened = new Promise<void>((resolve) => (open = resolve))
    found = { open, opened, started: false, finallyRan: false }
    probes.set(tag, found)
  }
  return found
}

/** The test's handler: what it does is decided by the job's input. */
async function* handler(job: Job<Input>): AsyncGenerator<unknown, unknown> {
  const { mode, tag = job.id, count = 0 } = job.input
  const ms = job.input.delay ?? 0
  const p = probe(tag)
  p.started = true
  try {
    switch (mode) {
      case 'count':
        for (let i = 0; i < count; i++) {
          if (i > 0 && ms > 0) await delay(ms, undefined, { signal: job.signal })
          yield i
        }
        return
      case 'sleep':
        await delay(ms, undefined, { signal: job.signal })
        yield { slept: ms }
        return
      case 'fail':
        yield 'a'
        yield 'b'
        throw new Error(`boom ${tag}`)
      case 'hang':
        yield 'started'
        await new Promise((_, reject) => job.signal.addEventListener('abort', () => reject(job.signal.reason)))
        return
      case 'gate':
        await p.opened
        yield { released: tag }
        return
      case 'quiet':
        yield 'before'
        await delay(ms, undefined, { signal: job.signal })
        yield 'after'
        return
    }
  } finally {
    p.finallyRan = true
    p.endedAt = Date.now()
  }
}

/** A real server for `worker`, with the requests it answered. */
const countingServer = (worker: FetchHandler) => serveRecording(worker)

const worker = serverless.start({ handler, apiKey: API_KEY, returnAggregateStream: true })
/** One job at a time, so that later jobs wait in the queue. */
const queueWorker = serverless.start({ handler, apiKey: API_KEY, returnAggregateStream: true, concurrencyModifier: 1 })

let main: Awaited<ReturnType<typeof countingServer>>
let queued: Awaited<ReturnType<typeof countingServer>>
const servers: NodeServer[] = []

beforeAll(async () => {
  main = await countingServer(worker)
  queued = await countingServer(queueWorker)
  servers.push(main.server, queued.server)
})
afterAll(async () => {
  // Let nothing keep a handler alive past the tests.
  for (const p of probes.values()) p.open?.()
  await Promise.all(servers.map((server) => server.close()))
  sdkLog.mockRestore()
})

const endpointOf = (url: string, key = API_KEY) => runpodSdk(key, { baseUrl: `${url}/v2` }).endpoint('ep')!
const sdk = () => endpointOf(main.server.url)
const requestsTo = (requests: SeenRequest[], path: string) => requests.filter((r) => r.path === path)

describe('runpod-sdk against a real edgepod server', () => {
  it('run answers {id, status: IN_QUEUE}, sent with its Bearer key, and status reports the job', async () => {
    const ep = sdk()
    const queuedJob = await ep.run({ input: { mode: 'count', count: 3 } })
    expect(queuedJob).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'IN_QUEUE' })
    const [runRequest] = requestsTo(main.requests, '/v2/ep/run')
    expect(runRequest).toMatchObject({ method: 'POST', authorization: `Bearer ${API_KEY}`, status: 200 })

    await expect.poll(async () => (await ep.status(queuedJob.id)).status).toBe('COMPLETED')
    const status = await ep.status(queuedJob.id)
    expect(status).toMatchObject({
      id: queuedJob.id,
      status: 'COMPLETED',
      output: [0, 1, 2],
      delayTime: expect.any(Number),
      executionTime: expect.any(Number),
      started: true,
      completed: true,
      succeeded: true,
    })
  })

  it('rejects a wrong key: the SDK throws with HTTP 401', async () => {
    const wrong = endpointOf(main.server.url, 'wrong-key')
    await expect(wrong.run({ input: { mode: 'count', count: 1 } })).rejects.toMatchObject({ response: { status: 401 } })
    await expect(wrong.health()).rejects.toMatchObject({ response: { status: 401 } })
    const refused = main.requests.filter((r) => r.authorization === 'Bearer wrong-key')
    expect(refused.map((r) => r.status)).toEqual([401, 401])
  })

  it('statusSync long-polls /status-sync: answered when the job ends, not before', async () => {
    const ep = sdk()
    const tag = 'status-sync'
    const { id } = await ep.run({ input: { mode: 'gate', tag } })
    const path = `/v2/ep/status-sync/${id}`
    let settledAt: number | undefined
    const pending = ep.statusSync(id, 10_000).then((value) => {
      settledAt = Date.now()
      return value
    })
    await expect.poll(() => requestsTo(main.requests, path).length).toBe(1)
    expect(requestsTo(main.requests, path)[0]?.search).toBe('?wait=10000')
    // A full round trip after the long-poll arrived: the job still runs, and the long-poll still waits.
    expect((await ep.status(id)).status).toBe('IN_PROGRESS')
    expect(settledAt).toBeUndefined()

    const openedAt = Date.now()
    probe(tag).open!()
    const result = await pending
    expect(result).toMatchObject({ id, status: 'COMPLETED', output: [{ released: tag }], completed: true, succeeded: true })
    expect(settledAt!).toBeGreaterThanOrEqual(probe(tag).endedAt!)
    // Answered at the job's end, far from its 10 s wait.
    expect(settledAt! - openedAt).toBeLessThan(2_000)
    expect(requestsTo(main.requests, path)).toHaveLength(1)
  })

  it('runSync of a quick job answers its result in one /runsync', async () => {
    const result = await sdk().runSync({ input: { mode: 'count', count: 4 } })
    expect(result).toMatchObject({ status: 'COMPLETED', output: [0, 1, 2, 3], started: true, completed: true, succeeded: true })
    const sync = main.requests.filter((r) => r.path === '/v2/ep/runsync')
    expect(sync.at(-1)).toMatchObject({ method: 'POST', search: '?wait=90000', status: 200 })
    expect(main.requests.filter((r) => r.path.endsWith(`/status-sync/${result.id}`))).toHaveLength(0)
  })

  it('runSync of a job longer than its first wait goes on through /status-sync and returns the full output', async () => {
    const started = Date.now()
    const result = await sdk().runSync({ input: { mode: 'sleep', delay: 2_300 } }, 1_500)
    const took = Date.now() - started
    expect(result).toMatchObject({
      status: 'COMPLETED',
      output: [{ slept: 2_300 }],
      started: true,
      completed: true,
      succeeded: true,
    })
    expect(took).toBeGreaterThanOrEqual(2_300)
    const runsync = main.requests.filter((r) => r.path === '/v2/ep/runsync').at(-1)
    expect(runsync).toMatchObject({ search: '?wait=1500', status: 200 })
    const statusSyncs = requestsTo(main.requests, `/v2/ep/status-sync/${result.id}`)
    expect(statusSyncs.length).toBeGreaterThanOrEqual(1)
    expect(statusSyncs.every((r) => r.search === '?wait=1000' && r.status === 200)).toBe(true)
    // Its loop logged each status it polled (silenced here), the last one COMPLETED.
    expect(sdkLog).toHaveBeenLastCalledWith(`${result.id}: COMPLETED`)
  })

  it('stream yields each output exactly once, in order, and ends at the terminal status', async () => {
    const ep = sdk()
    const { id } = await ep.run({ input: { mode: 'count', count: 20, delay: 50 } })
    const items: unknown[] = []
    for await (const item of ep.stream(id)) items.push(item)
    expect(items).toEqual(Array.from({ length: 20 }, (_, i) => ({ output: i })))
    expect((await ep.status(id)).status).toBe('COMPLETED')
    // The SDK does not sleep between polls; each poll is held until there is something new, so it
    // makes about one request per event of the job (20 outputs and `done`), whatever its length:
    // 21 here, one more allowed for a poll that wakes on an event before the status changes.
    const polls = requestsTo(main.requests, `/v2/ep/stream/${id}`)
    expect(polls.length).toBeLessThanOrEqual(22)
    expect(polls.every((r) => r.method === 'GET' && r.status === 200 && r.authorization === `Bearer ${API_KEY}`)).toBe(true)
  })

  it('stream is polite through a quiet job: a held poll per second, not a tight loop', async () => {
    const ep = sdk()
    const { id } = await ep.run({ input: { mode: 'quiet', delay: 2_000 } })
    const started = Date.now()
    const items: unknown[] = []
    for await (const item of ep.stream(id)) items.push(item)
    const took = Date.now() - started
    expect(items).toEqual([{ output: 'before' }, { output: 'after' }])
    expect(took).toBeGreaterThanOrEqual(1_900)
    // ~2 s of silence: about two held polls, plus the ones that carried 'before', 'after' and the end.
    const polls = requestsTo(main.requests, `/v2/ep/stream/${id}`)
    expect(polls.length).toBeLessThan(8)
    expect(polls.length).toBeGreaterThanOrEqual(2)
  })

  it('stream of a FAILED job yields what it streamed, then ends; status has the error', async () => {
    const ep = sdk()
    const { id } = await ep.run({ input: { mode: 'fail', tag: 'fails' } })
    const items: unknown[] = []
    for await (const item of ep.stream(id)) items.push(item)
    expect(items).toEqual([{ output: 'a' }, { output: 'b' }])
    expect(await ep.status(id)).toMatchObject({ id, status: 'FAILED', error: 'boom fails', completed: true, succeeded: false })
  })

  it('cancel stops a running job: CANCELLED, status shows it, and the handler is stopped', async () => {
    const ep = sdk()
    const tag = 'cancel-me'
    const { id } = await ep.run({ input: { mode: 'hang', tag } })
    await expect.poll(async () => (await ep.status(id)).status).toBe('IN_PROGRESS')
    const cancelled = await ep.cancel(id)
    expect(cancelled).toMatchObject({ id, status: 'CANCELLED' })
    expect(await ep.status(id)).toMatchObject({ id, status: 'CANCELLED', completed: true, succeeded: false })
    await expect.poll(() => probe(tag).finallyRan).toBe(true)
    // A stream of the cancelled job ends too.
    const items: unknown[] = []
    for await (const item of ep.stream(id)) items.push(item)
    expect(items).toEqual([{ output: 'started' }])
  })

  it('health answers RunPod’s shape', async () => {
    const health = await sdk().health()
    expect(health).toEqual({
      jobs: {
        completed: expect.any(Number),
        failed: expect.any(Number),
        inProgress: expect.any(Number),
        inQueue: expect.any(Number),
        retried: expect.any(Number),
      },
      workers: expect.objectContaining({ idle: expect.any(Number), running: expect.any(Number) }),
    })
    expect(health.jobs.completed).toBeGreaterThanOrEqual(1)
    expect(health.jobs.failed).toBeGreaterThanOrEqual(1)
  })

  it('purgeQueue removes the queued jobs and leaves the running one', async () => {
    const ep = endpointOf(queued.server.url)
    const running = await ep.run({ input: { mode: 'hang', tag: 'purge-runner' } })
    await expect.poll(async () => (await ep.status(running.id)).status).toBe('IN_PROGRESS')
    const waiting = await Promise.all([1, 2, 3].map((n) => ep.run({ input: { mode: 'count', count: n } })))
    for (const job of waiting) expect((await ep.status(job.id)).status).toBe('IN_QUEUE')
    expect((await ep.health()).jobs).toMatchObject({ inQueue: 3, inProgress: 1 })

    expect(await ep.purgeQueue()).toEqual({ removed: 3, status: 'completed' })
    expect((await ep.health()).jobs).toMatchObject({ inQueue: 0, inProgress: 1 })
    for (const job of waiting) {
      const status = await ep.status(job.id)
      expect(status.status).not.toBe('IN_QUEUE')
      expect(status.status).not.toBe('COMPLETED')
    }
    expect((await ep.status(running.id)).status).toBe('IN_PROGRESS')
    expect(await ep.purgeQueue()).toEqual({ removed: 0, status: 'completed' })

    expect((await ep.cancel(running.id)).status).toBe('CANCELLED')
    await expect.poll(() => probe('purge-runner').finallyRan).toBe(true)
    // The purged jobs never ran.
    for (const job of waiting) expect(probes.get(job.id)).toBeUndefined()
  })
})

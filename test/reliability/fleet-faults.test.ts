/**
 * A fleet on Redis when things break, with real processes and a real redis-server: Node members
 * (test/helpers/fleet-member.ts, one process each, so a signal reaches the handlers) serving
 * test/fixtures/fleet-worker.ts, a job run by one member and read from another.
 *
 * - The member running a job is killed (kill -9): another ends it `FAILED` with `worker_lost`,
 *   the outputs written so far kept, one `done` after them.
 * - It stalls (SIGSTOP) past its lease and wakes (SIGCONT): it is ended the same way, its handler
 *   is aborted once it wakes (its `finally` runs), and nothing is appended after the `done`.
 * - Cancel from another member reaches the handler where it runs.
 * - Redis restarts mid-stream (its append-only file kept): the stream goes on without a gap, the
 *   job completes; while it is down, requests are refused at once with 503 `store_unavailable`.
 * - Redis drops every client connection: the same, and every member listens to the doorbell again.
 * - A member started while Redis is down serves once Redis is up, by itself.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import type { SpawnedServer } from '../conformance/runtimes/spawn-server.ts'
import { startRedis } from '../helpers/redis-server.ts'
import type { TestRedis } from '../helpers/redis-server.ts'
import { checkedStream, sseReader } from '../helpers/sse-reader.ts'
import { ownerOf, postTo as post, probeOn, runningOn, statusOn, TestFleet } from '../helpers/test-fleet.ts'

const PREFIX = 'faults'

let redis: TestRedis
const fleet = new TestFleet(() => redis, PREFIX)
const member = (leaseMs: number) => fleet.member(leaseMs)

const streamOn = (on: SpawnedServer, id: string) => fetch(`${on.url}/stream/${id}`, { headers: { accept: 'text/event-stream' } })

/** Submits a job on `on`; resolves to its id and the member that runs it, and another. */
async function runOn(on: SpawnedServer, among: SpawnedServer[], input: Record<string, unknown>) {
  const tag = crypto.randomUUID()
  const { id } = (await (await post(on, '/run', { input: { tag, ...input } })).json()) as { id: string }
  const owner = await ownerOf(tag, among)
  return { id, tag, owner, reader: among.find((other) => other !== owner)! }
}

/** The job's whole log as another member streams it, checked, with its outputs. */
async function wholeLog(on: SpawnedServer, id: string) {
  const events = await sseReader(await streamOn(on, id)).rest()
  return { events, ...checkedStream(events) }
}

/** The outputs `{ i }` 0..n-1 of the conformance handler, in order. */
const counted = (n: number) => Array.from({ length: n }, (_, i) => expect.objectContaining({ i }))

beforeAll(async () => {
  redis = await startRedis()
})

afterEach(async () => {
  await fleet.stopAll()
  await redis.restart().catch(() => {})
  await redis.cli('FLUSHALL')
})

afterAll(async () => {
  await redis.close()
})

describe('a member that dies or stalls', () => {
  const LEASE_MS = 1_000

  it('is found out when killed mid-stream: FAILED worker_lost, the outputs kept, one done after them', async () => {
    const members = [await member(LEASE_MS), await member(LEASE_MS)]
    const { id, owner, reader } = await runOn(members[0]!, members, { mode: 'forever', delay: 20 })
    const stream = sseReader(await streamOn(reader, id))
    const first = await stream.take(3)
    owner.signal('SIGKILL')
    await owner.exited
    const events = [...first, ...(await stream.rest())]
    const { outputs, done } = checkedStream(events)
    expect(outputs).toEqual(counted(outputs.length))
    expect(done).toMatchObject({ id, status: 'FAILED', errorDetail: { code: 'worker_lost' } })
    // What the readers saw is what the job keeps; a late reader replays the same log.
    expect((await statusOn(reader, id)).output).toEqual(outputs)
    expect((await wholeLog(reader, id)).events).toEqual(events)
  })

  it('is ended when it stalls past its lease; once it wakes its handler is aborted and nothing follows the done', async () => {
    const members = [await member(LEASE_MS), await member(LEASE_MS)]
    const { id, tag, owner, reader } = await runOn(members[0]!, members, { mode: 'forever', delay: 20 })
    const stream = sseReader(await streamOn(reader, id))
    const first = await stream.take(3)
    owner.signal('SIGSTOP')
    const events = [...first, ...(await stream.rest())]
    const { done } = checkedStream(events)
    expect(done).toMatchObject({ status: 'FAILED', errorDetail: { code: 'worker_lost' } })

    owner.signal('SIGCONT')
    await vi.waitFor(async () => expect((await probeOn(owner, tag)).finallyRan).toBeDefined(), { timeout: 10_000, interval: 20 })
    // It wrote what it held when it woke, or tried to: the store refused it all.
    await vi.waitFor(async () => expect(await runningOn(owner)).toBe(0), { timeout: 10_000 })
    expect((await wholeLog(owner, id)).events).toEqual(events)
    expect((await statusOn(owner, id)).status).toBe('FAILED')
  })

  it('runs the handler it owns to its finally when another member is asked to cancel', async () => {
    const members = [await member(LEASE_MS), await member(LEASE_MS)]
    const { id, tag, owner, reader } = await runOn(members[0]!, members, { mode: 'forever', delay: 20 })
    expect(await (await post(reader, `/cancel/${id}`)).json()).toMatchObject({ id, status: 'CANCELLED' })
    await vi.waitFor(async () => expect((await probeOn(owner, tag)).finallyRan).toBeDefined(), { timeout: 5_000, interval: 10 })
    const { done } = await wholeLog(owner, id)
    expect(done.status).toBe('CANCELLED')
  })
})

describe('Redis in trouble', () => {
  // Long enough that a restart (well under a second here) costs no job its lease.
  const LEASE_MS = 5_000

  /** Streams a 40-output job run on one member from another, calling `trouble` after 10 events. */
  async function streamThrough(trouble: () => Promise<void>) {
    const members = [await member(LEASE_MS), await member(LEASE_MS)]
    const { id, reader } = await runOn(members[0]!, members, { count: 40, delay: 25 })
    const stream = sseReader(await streamOn(reader, id))
    const first = await stream.take(10)
    await trouble()
    const events = [...first, ...(await stream.rest())]
    return { id, members, events, reader }
  }

  it('goes on streaming through a restart of Redis, and refuses requests with 503 store_unavailable while it is down', async () => {
    const refused: Response[] = []
    const { events, members } = await streamThrough(async () => {
      await redis.stop()
      const member = fleet.members[1]!
      refused.push(await post(member, '/run', { input: {} }), await fetch(`${member.url}/health`), await fetch(`${member.url}/status/some-id`))
      await redis.restart()
    })
    const { outputs, done } = checkedStream(events)
    expect(outputs).toEqual(counted(40))
    expect(done.status).toBe('COMPLETED')
    for (const response of refused) {
      expect(response.status).toBe(503)
      expect(response.headers.get('retry-after')).toBe('1')
      expect(await response.json()).toMatchObject({ code: 'store_unavailable' })
    }
    // Members serve again by themselves.
    const again = await (await post(members[1]!, '/runsync', { input: { count: 2 } })).json()
    expect(again).toMatchObject({ status: 'COMPLETED', output: counted(2) })
  })

  it('goes on streaming when Redis drops every client connection, and every member listens to the doorbell again', async () => {
    const { events, members } = await streamThrough(async () => {
      await redis.cli('CLIENT', 'KILL', 'TYPE', 'pubsub')
      await redis.cli('CLIENT', 'KILL', 'TYPE', 'normal')
    })
    const { outputs, done } = checkedStream(events)
    expect(outputs).toEqual(counted(40))
    expect(done.status).toBe('COMPLETED')
    await vi.waitFor(async () => expect(await redis.cli('PUBSUB', 'NUMSUB', `{${PREFIX}}:bell`)).toBe(`{${PREFIX}}:bell\n${members.length}`), {
      timeout: 10_000,
    })
  })

  it('lets a member started while Redis is down serve once Redis is up', async () => {
    await redis.stop()
    const late = await member(LEASE_MS)
    const refused = await fetch(`${late.url}/health`)
    expect([refused.status, (await refused.json()).code]).toEqual([503, 'store_unavailable'])
    await redis.restart()
    await vi.waitFor(async () => expect((await fetch(`${late.url}/health`)).status).toBe(200), { timeout: 10_000, interval: 50 })
    expect(await (await post(late, '/runsync', { input: { count: 1 } })).json()).toMatchObject({ status: 'COMPLETED' })
  })
})

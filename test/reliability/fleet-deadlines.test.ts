/**
 * What a fleet on Redis owes its jobs when no member is there to do it, with real processes and a
 * real redis-server (test/helpers/fleet-member.ts serving test/fixtures/fleet-worker.ts):
 *
 * - An execution timeout fires while the member running the job is stalled: another ends it
 *   `TIMED_OUT`, and the stalled one appends nothing after the `done` once it wakes.
 * - A queued job's ttl passes while every slot is taken and the member it was submitted to is
 *   dead: another ends it `TIMED_OUT`, never started.
 * - A job's keys expire with it in Redis itself, with every member gone.
 * - Each ended job's webhook is sent exactly once, when the member that ran it was killed (another
 *   sends it from the outbox) as when it ended normally, by whichever member.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import type { JobStatusObject } from 'edgepod'
import type { SpawnedServer } from '../conformance/runtimes/spawn-server.ts'
import { serveRecording } from '../helpers/recording-server.ts'
import { startRedis } from '../helpers/redis-server.ts'
import type { TestRedis } from '../helpers/redis-server.ts'
import { checkedStream, sseReader } from '../helpers/sse-reader.ts'
import { ownerOf, postTo, probeOn, runningOn, statusOn, TestFleet } from '../helpers/test-fleet.ts'

const PREFIX = 'deadlines'

let redis: TestRedis
const fleet = new TestFleet(() => redis, PREFIX)
const member = (leaseMs: number, env?: Record<string, string>) => fleet.member(leaseMs, env)

const post = async (on: SpawnedServer, path: string, body?: unknown): Promise<any> => (await postTo(on, path, body)).json()
const logOn = async (on: SpawnedServer, id: string) =>
  sseReader(await fetch(`${on.url}/stream/${id}`, { headers: { accept: 'text/event-stream' } })).rest()

/** Waits for job `id` to reach a terminal status, asking `on`. */
async function endedOn(on: SpawnedServer, id: string, timeout = 15_000): Promise<JobStatusObject> {
  let status: JobStatusObject | undefined
  await vi.waitFor(
    async () => {
      status = await statusOn(on, id)
      expect(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT']).toContain(status.status)
    },
    { timeout, interval: 50 }
  )
  return status!
}

/** The keys of job `id` that Redis still holds. */
const keysOf = async (id: string) => Number(await redis.cli('EXISTS', `{${PREFIX}}:job:${id}`, `{${PREFIX}}:log:${id}`))

beforeAll(async () => {
  redis = await startRedis()
})

afterEach(async () => {
  await fleet.stopAll()
  await redis.cli('FLUSHALL')
})

afterAll(async () => {
  await redis.close()
})

describe('deadlines nobody is there to keep', () => {
  it('times a job out while the member running it is stalled; woken, that member appends nothing after the done', async () => {
    // A lease longer than the stall: the job times out, it is not lost. Sweeps come every third of it.
    const members = [await member(6_000), await member(6_000)]
    const tag = crypto.randomUUID()
    const { id } = await post(members[0]!, '/run', { input: { tag, mode: 'forever', delay: 20 }, policy: { executionTimeout: 1_000 } })
    const owner = await ownerOf(tag, members)
    const other = members.find((candidate) => candidate !== owner)!
    owner.signal('SIGSTOP')
    const status = await endedOn(other, id)
    expect(status).toMatchObject({ status: 'TIMED_OUT', error: 'execution timeout of 1000 ms exceeded' })
    const log = await logOn(other, id)
    checkedStream(log)

    owner.signal('SIGCONT')
    await vi.waitFor(async () => expect((await probeOn(owner, tag)).finallyRan).toBeDefined(), { timeout: 10_000, interval: 20 })
    await vi.waitFor(async () => expect(await runningOn(owner)).toBe(0), { timeout: 10_000 })
    expect(await logOn(owner, id)).toEqual(log)
  })

  it('ends a queued job TIMED_OUT when its ttl passes, though the member it was submitted to died', async () => {
    const members = [await member(1_000, { FLEET_CONCURRENCY: '1' }), await member(1_000, { FLEET_CONCURRENCY: '1' })]
    // Both slots taken for good.
    const busy = [crypto.randomUUID(), crypto.randomUUID()]
    for (const tag of busy) await post(members[0]!, '/run', { input: { tag, mode: 'forever', delay: 50 } })
    for (const tag of busy) await ownerOf(tag, members)
    const { id } = await post(members[0]!, '/run', { input: { count: 1 }, policy: { ttl: 1_500 } })
    members[0]!.signal('SIGKILL')
    const status = await endedOn(members[1]!, id)
    expect(status).toMatchObject({ status: 'TIMED_OUT', error: 'ttl of 1500 ms expired before the job started' })
    expect(status).not.toHaveProperty('workerId')
    expect(status).not.toHaveProperty('output')
  })

  it('lets Redis expire a job’s keys with the job, with no member left', async () => {
    const members = [await member(1_000)]
    const { id } = await post(members[0]!, '/runsync', { input: { count: 3 }, policy: { ttl: 1_000 } })
    expect(await keysOf(id)).toBe(2)
    await members[0]!.stop()
    await vi.waitFor(async () => expect(await keysOf(id)).toBe(0), { timeout: 10_000, interval: 100 })
  })
})

describe('webhooks from the outbox', () => {
  it('sends each ended job’s webhook exactly once, the killed member’s jobs included', async () => {
    const LEASE_MS = 1_000
    const delivered: Array<{ id: string; status: string }> = []
    const receiver = await serveRecording({
      async fetch(request) {
        delivered.push(await request.json())
        return new Response('ok')
      },
    })
    try {
      const members = [await member(LEASE_MS), await member(LEASE_MS), await member(LEASE_MS)]
      const webhook = `${receiver.server.url}/hook`
      const jobs: Array<{ id: string; owner: SpawnedServer }> = []
      for (let k = 0; k < 6; k++) {
        const tag = crypto.randomUUID()
        const { id } = await post(members[k % 3]!, '/run', { input: { tag, mode: 'forever', delay: 20 }, webhook })
        jobs.push({ id, owner: await ownerOf(tag, members) })
      }
      const victim = jobs[0]!.owner
      victim.signal('SIGKILL')
      const survivors = members.filter((candidate) => candidate !== victim)
      for (const job of jobs.filter((job) => job.owner !== victim)) await post(survivors[0]!, `/cancel/${job.id}`)
      const ended = await Promise.all(jobs.map((job) => endedOn(survivors[1]!, job.id)))
      for (const [index, job] of jobs.entries()) {
        expect(ended[index]!.status).toBe(job.owner === victim ? 'FAILED' : 'CANCELLED')
      }
      await vi.waitFor(() => expect(delivered).toHaveLength(jobs.length), { timeout: 10_000, interval: 50 })
      // Long enough for a delivery held by no one to be made again: none is.
      await new Promise((resolve) => setTimeout(resolve, 3 * LEASE_MS))
      expect(delivered.map(({ id, status }) => `${id} ${status}`).sort()).toEqual(ended.map(({ id, status }) => `${id} ${status}`).sort())
    } finally {
      await receiver.server.close()
    }
  })
})

/**
 * The soak (`npm run soak`, soak/) in miniature: a few seconds of streams with resumes beside a
 * `/run` storm past a small queue, to show the soak runs, exercises what it claims (resumes, 429s,
 * cancels) and finds nothing lost; and its verdict, which must fail a run for each kind of fault.
 */
import { execFile } from 'node:child_process'
import type { IncomingMessage } from 'node:http'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { readEvents } from '../soak/streams.ts'
import type { Progress } from '../soak/streams.ts'
import { emptyTally } from '../soak/tally.ts'
import { root } from './conformance/runtimes/spawn-server.ts'
import { soakVerdict, HEAP_SLACK_BYTES } from '../soak/verdict.ts'
import { fleetVerdict, REDIS_SLACK_BYTES } from '../soak/fleet-verdict.ts'
import type { RedisSnapshot } from '../soak/redis-memory.ts'
import { emptyFleetCounts } from '../soak/tally.ts'
import type { SoakStats } from '../soak/worker.ts'


describe('npm run soak, in miniature', () => {
  it('streams with resumes beside a /run storm past the queue, and loses, repeats and leaks nothing', async () => {
    const out = join(tmpdir(), `edgepod-soak-${process.pid}.json`)
    const args = ['--duration', '4', '--warmup', '1', '--streams', '40', '--tokens', '30', '--pause', '20', '--max-queue', '20', '--cancel-share', '0.2', '--ttl', '6000', '--out', out]
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'soak/run.ts', ...args], { cwd: root, timeout: 60_000 })
    const report = JSON.parse(readFileSync(out, 'utf8'))
    expect(report.verdict).toEqual({ passed: true, reasons: [] })
    const { tally } = report
    // It did what it says: streams read whole, some cut and resumed, 429s past the queue, cancels.
    expect(tally.streams).toBeGreaterThan(40)
    expect(tally.streamOutputs).toBeGreaterThanOrEqual(tally.streams * 30 * 0.9)
    expect(tally.resumes).toBeGreaterThan(0)
    expect(tally.runRefused429).toBeGreaterThan(0)
    expect(tally.runCancelled).toBeGreaterThan(0)
    expect(tally.runCompleted + tally.runCancelled).toBe(tally.runAccepted)
    expect(report.memory.end.heldJobs).toBe(0)
  }, 90_000)
})

describe('npm run soak --fleet, in miniature', () => {
  it('two members on a real Redis, readers on the other member, one killed mid-job: its jobs end worker_lost with their outputs, nothing else is lost, and Redis ends as it began', async () => {
    const out = join(tmpdir(), `edgepod-fleet-soak-${process.pid}.json`)
    // A light storm, so that the member killed runs streams as well as /run jobs; one kill in 3 s.
    const args = ['--fleet', '2', '--kill-every', '2', '--lease', '1000', '--duration', '3', '--warmup', '1', '--streams', '20', '--tokens', '30', '--pause', '40']
    const storm = ['--storm-rate', '20', '--storm-submitters', '4', '--max-queue', '20', '--cancel-share', '0.2', '--ttl', '3000', '--out', out]
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'soak/run.ts', ...args, ...storm], { cwd: root, timeout: 150_000 })
    const report = JSON.parse(readFileSync(out, 'utf8'))
    expect(report.verdict).toEqual({ passed: true, reasons: [] })
    const { tally } = report
    // It did what it says: a kill, readers cut by it and resumed elsewhere, jobs of the killed
    // member ended worker_lost (streams checked against what their readers saw), each stream's
    // status asked of another member.
    expect(tally.fleet.kills).toBe(1)
    expect(tally.fleet.membersStarted).toBe(3)
    expect(tally.fleet.cutByKill).toBeGreaterThan(0)
    expect(tally.fleet.workerLostStreams).toBeGreaterThan(0)
    expect(tally.fleet.statusChecks).toBe(tally.streams)
    expect(tally.resumes).toBeGreaterThan(0)
    expect(tally.runCompleted + tally.runCancelled + tally.fleet.workerLostRuns).toBe(tally.runAccepted)
    expect(report.redis.end.jobKeys).toBe(0)
  }, 180_000)
})

describe('the soak reader', () => {
  const frame = (id: number, event: string, data: string) => `id: ${id}\nevent: ${event}\ndata: ${data}\n\n`
  /** An answer whose whole body comes in one chunk, as it often does under load. */
  const answer = (body: string) => Readable.from([body]) as unknown as IncomingMessage
  const fresh = (): Progress => ({ lastId: 0, seen: new Uint8Array(4), next: 0, done: false })
  const outputs = (ids: number[], values = ids.map((id) => id - 1)) => ids.map((id, k) => frame(id, 'output', `{"i":${values[k]}}`)).join('')

  it('sees nothing past a cut, not even the rest of the chunk it came in: a resume starts after what was read', async () => {
    const progress = fresh()
    const tally = emptyTally()
    const body = outputs([1, 2, 3, 4]) + frame(5, 'done', '{"status":"COMPLETED"}')
    expect(await readEvents(answer(body), progress, tally, 2, 'job')).toEqual({ ended: 'cut' })
    expect(progress).toMatchObject({ lastId: 2, next: 2, done: false })
    expect(tally.streamOutputs).toBe(2)
  })

  it('counts a repeated output, a gap in ids and an event after done, each where it belongs', async () => {
    const progress = fresh()
    const tally = emptyTally()
    const body = outputs([1, 2, 2, 4], [0, 1, 1, 3]) + frame(5, 'done', '{"status":"COMPLETED"}') + frame(6, 'output', '{"i":3}')
    expect(await readEvents(answer(body), progress, tally, -1, 'job')).toEqual({ ended: 'done', status: 'COMPLETED' })
    await new Promise((resolve) => setImmediate(resolve))
    // 2 twice (a repeated id and output); 4 after 2 (a gap in ids, and output 3 where 2 was due); 6 after done.
    expect(tally).toMatchObject({ duplicatedOutputs: 1, outOfOrderOutputs: 1, badEventIds: 3 })
    expect([...progress.seen]).toEqual([1, 1, 0, 1])
  })
})

describe('the soak verdict', () => {
  const stats = (changes: Partial<SoakStats> = {}): SoakStats => ({
    heapUsed: 10 * 2 ** 20,
    rss: 100 * 2 ** 20,
    heldJobs: 0,
    webhooksUnderWay: 0,
    health: { jobs: { completed: 9, failed: 0, inProgress: 0, inQueue: 0, retried: 0 }, workers: { idle: 10, running: 0 } },
    resources: { TCPServerWrap: 1, TCPSocketWrap: 1 },
    ...changes,
  })

  it('passes a clean run, with the heap back within its slack', () => {
    expect(soakVerdict(emptyTally(), stats(), stats())).toEqual({ passed: true, reasons: [] })
    expect(soakVerdict(emptyTally(), stats(), stats({ heapUsed: 10 * 2 ** 20 + HEAP_SLACK_BYTES }))).toEqual({ passed: true, reasons: [] })
  })

  it('fails a run whose baseline was not idle: a timer or a webhook retry owed then would hide one at the end', () => {
    const retrying = stats({ webhooksUnderWay: 2, resources: { TCPServerWrap: 1, TCPSocketWrap: 1, Timeout: 2 } })
    expect(soakVerdict(emptyTally(), retrying, stats())).toEqual({
      passed: false,
      reasons: ['the baseline was not idle: 2 Timeout, 2 webhook deliveries under way'],
    })
  })

  it('names a webhook delivery still under way at the end beside the timer it holds', () => {
    const end = stats({ webhooksUnderWay: 1, resources: { TCPServerWrap: 1, TCPSocketWrap: 1, Timeout: 1 } })
    expect(soakVerdict(emptyTally(), stats(), end).reasons).toEqual(['1 webhook deliveries still under way at the end', '1 Timeout at the end, 0 allowed'])
  })

  it.each([
    ['a lost output', { ...emptyTally(), lostOutputs: 1 }, stats(), 'lostOutputs: 1'],
    ['a failed request', { ...emptyTally(), failedRequests: 2 }, stats(), 'failedRequests: 2'],
    ['a job held past its ttl', emptyTally(), stats({ heldJobs: 3 }), '3 jobs still held after their ttl'],
    ['a socket left open', emptyTally(), stats({ resources: { TCPServerWrap: 1, TCPSocketWrap: 2 } }), '2 TCPSocketWrap at the end, 1 allowed'],
    ['a timer left behind', emptyTally(), stats({ resources: { TCPServerWrap: 1, TCPSocketWrap: 1, Timeout: 1 } }), '1 Timeout at the end, 0 allowed'],
    ['a missing webhook', { ...emptyTally(), missingWebhooks: 1 }, stats(), 'missingWebhooks: 1'],
    ['a grown heap', emptyTally(), stats({ heapUsed: 10 * 2 ** 20 + HEAP_SLACK_BYTES + 1 }), 'heap 8.0 MB above the baseline'],
  ])('fails a run with %s', (_, tally, end, reason) => {
    expect(soakVerdict(tally, stats(), end)).toEqual({ passed: false, reasons: [reason] })
  })
})

describe('the fleet soak verdict', () => {
  const redis = (changes: Partial<RedisSnapshot> = {}): RedisSnapshot => ({
    jobKeys: 0,
    otherKeys: ['{soak}:counter', '{soak}:counts', '{soak}:members'],
    dbsize: 3,
    usedMemory: 2 ** 21,
    usedMemoryPeak: 2 ** 22,
    ...changes,
  })
  const member = (changes: Partial<SoakStats> = {}): SoakStats => ({
    heapUsed: 10 * 2 ** 20,
    rss: 100 * 2 ** 20,
    heldJobs: 0,
    webhooksUnderWay: 0,
    health: { jobs: { completed: 9, failed: 1, inProgress: 0, inQueue: 0, retried: 0 }, workers: { idle: 10, running: 0 } },
    resources: {},
    ...changes,
  })
  const killed = { ...emptyTally(), fleet: { ...emptyFleetCounts(), kills: 1 } }
  const judge = (changes: { end?: RedisSnapshot; members?: Record<string, SoakStats>; tally?: typeof killed } = {}) =>
    fleetVerdict({ tally: changes.tally ?? killed, killsAsked: true, redisBaseline: redis(), redisEnd: changes.end ?? redis(), members: changes.members ?? { a: member() } })

  it('passes a run whose Redis ends as it began, within its slack', () => {
    expect(judge()).toEqual({ passed: true, reasons: [] })
    expect(judge({ end: redis({ usedMemory: 2 ** 21 + REDIS_SLACK_BYTES }) })).toEqual({ passed: true, reasons: [] })
  })

  it.each([
    ['keys of jobs left after their ttl', { end: redis({ jobKeys: 2 }) }, '2 keys of jobs still in Redis after their ttl'],
    ['a key the baseline did not have', { end: redis({ otherKeys: ['{soak}:counter', '{soak}:counts', '{soak}:members', '{soak}:queue'] }) }, 'keys not at the baseline still in Redis: {soak}:queue'],
    ['Redis memory above its baseline', { end: redis({ usedMemory: 2 ** 21 + REDIS_SLACK_BYTES + 2 ** 19 }) }, 'Redis used_memory 1.50 MB above the baseline'],
    ['a job counted queued that no queue holds', { members: { a: member({ health: { jobs: { completed: 9, failed: 1, inProgress: 0, inQueue: 1, retried: 0 }, workers: { idle: 10, running: 0 } } }) } }, 'a: 1 queued and 0 running at the end'],
    ['kills asked for and none made', { tally: { ...emptyTally(), fleet: emptyFleetCounts() } }, 'no member was killed during the load'],
  ])('fails a run with %s', (_, changes, reason) => {
    expect(judge(changes)).toEqual({ passed: false, reasons: [reason] })
  })
})

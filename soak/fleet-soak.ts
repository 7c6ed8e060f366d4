/**
 * The fleet soak (`--fleet <n>`): `n` members sharing a real redis-server (append-only). Each job
 * goes to a member at random, its resumes (`Last-Event-ID`), cancel and `/status` to other
 * members, and every `--kill-every` seconds of the load a member is killed with SIGKILL, mid-job,
 * and replaced. Its jobs must end `FAILED` with `worker_lost`, keeping exactly the outputs their
 * readers saw; everything else must come whole, once and in order, as in the single-process soak.
 * Once the ttl has passed, Redis must hold no key of a job, and its memory must be back to its
 * baseline (taken after a warm-up whose jobs expired).
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { describeMachine } from '../bench/lib/machine.ts'
import { startRedis } from '../test/helpers/redis-server.ts'
import { Fleet } from './fleet.ts'
import { fleetVerdict } from './fleet-verdict.ts'
import type { SoakOptions } from './options.ts'
import { redisOnceJobsExpired, redisSnapshot } from './redis-memory.ts'
import { commandOf, commitOf, log, summaryOf, writeReport } from './report.ts'
import { sampleOpenStreams, streamLoop } from './streams.ts'
import { settleStorm, storm, StormBook, webhookReceiver } from './storm.ts'
import { emptyFleetCounts, emptyTally, seededRandom } from './tally.ts'
import type { SoakStats } from './worker.ts'
import { warmUp } from './warm-up.ts'

/** The deployment's name in Redis. */
const PREFIX = 'soak'

/** Runs the fleet soak; sets the exit code from its verdict. */
export async function fleetSoak(options: SoakOptions): Promise<void> {
  const { streams, ttl, streamPlan, stormPlan } = options
  // The streams' slots and a few for the storm, shared by the members: the storm overflows into
  // the fleet's one queue at once, and a kill leaves the others short until its replacement serves.
  const concurrency = Math.ceil((streams + 50) / options.fleet)
  // Before any load: the load average is the machine's, not the soak's.
  const machine = describeMachine()
  const redis = await startRedis()
  const counts = emptyFleetCounts()
  let fleet: Fleet | undefined
  try {
    fleet = await Fleet.start(
      { size: options.fleet, redis, prefix: PREFIX, leaseMs: options.leaseMs, concurrency, maxQueue: options.maxQueue },
      counts,
      seededRandom(options.seed + 1)
    )
    const targets = fleet
    const random = seededRandom(options.seed)
    /** Polls the members' stats until `done` holds of each or `ms` pass; the last stats either way. */
    const statsOnce = async (done: (stats: SoakStats) => boolean, ms: number) => {
      const deadline = Date.now() + ms
      for (;;) {
        const current = await targets.stats()
        if (Object.values(current).every(done) || Date.now() > deadline) return current
        await sleep(500)
      }
    }
    const noJobs = (s: SoakStats) => s.heldJobs === 0
    // The fleet's counts, which every member reads from Redis.
    const idle = (s: SoakStats) => s.health.jobs.inQueue + s.health.jobs.inProgress === 0

    log(`warming up ${options.fleet} members: ${fleet.live.map((member) => member.url).join(' ')}`)
    const warm = { ...emptyTally(), fleet: emptyFleetCounts() }
    await warmUp(targets, options, warm, random, () => statsOnce(idle, 30_000))
    await statsOnce(noJobs, 30_000)
    const redisBaseline = await redisOnceJobsExpired(redis, PREFIX, 30_000)
    const baseline = await targets.stats()

    const killing = options.killEvery > 0 ? `, a member killed every ${options.killEvery} s` : ''
    log(`load: ${streams} streams and a /run storm for ${options.duration} s on ${options.fleet} members${killing}`)
    const tally = { ...emptyTally(), fleet: counts }
    const started = Date.now()
    const loadEnds = started + 1_000 * options.duration
    const stop = () => Date.now() >= loadEnds
    const sampled = sampleOpenStreams(started, stop)
    const progress = setInterval(() => log(`${Math.round((Date.now() - started) / 1000)} s: ${JSON.stringify(tally)}`), 30_000)
    const book = new StormBook(stormPlan, tally, (workerId) => targets.killedAt(workerId))
    const receiver = await webhookReceiver(book)
    const kills = options.killEvery > 0 ? targets.killEvery(1_000 * options.killEvery, stop) : Promise.resolve()
    const streamLoops = Array.from({ length: streams }, () => streamLoop(targets, streamPlan, tally, random, stop))
    await storm(targets, receiver.url, book, random, stop)
    await Promise.all([...streamLoops, kills])
    clearInterval(progress)
    sampled.stop()
    const loadSeconds = (Date.now() - started) / 1000

    log('draining the queue and checking the last /run jobs')
    const drained = await statsOnce(idle, 120_000)
    const redisDrained = await redisSnapshot(redis, PREFIX)
    await settleStorm(targets, book, 30_000)
    receiver.close()

    log(`waiting for the ttl (${ttl} ms) to pass`)
    const end = await statsOnce(noJobs, ttl + 60_000)
    const redisEnd = await redisOnceJobsExpired(redis, PREFIX, ttl + 60_000)

    const report = {
      commit: commitOf(),
      machine,
      command: commandOf(),
      plan: {
        streams,
        members: options.fleet,
        concurrencyPerMember: concurrency,
        maxQueue: options.maxQueue,
        duration: options.duration,
        killEvery: options.killEvery,
        leaseMs: options.leaseMs,
        streamPlan,
        stormPlan,
      },
      loadSeconds,
      streamsUnderWay: summaryOf(sampled.underWay),
      sseConnectionsOpen: summaryOf(sampled.connections),
      tally,
      members: fleet.members.map(({ workerId, url, killedAt }) => ({ workerId, url, killedAt })),
      redis: { baseline: redisBaseline, drained: redisDrained, end: redisEnd },
      memberStats: { baseline, drained, end },
    }
    const verdict = fleetVerdict({ tally, killsAsked: options.killEvery > 0, redisBaseline, redisEnd, members: end })
    writeReport(options.out, report, verdict)
  } finally {
    await fleet?.stop()
    await redis.close()
  }
}

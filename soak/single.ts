/**
 * The soak on one Node process (the worker in its own process, `--expose-gc`): warm up and let that
 * expire; record the baseline; for the duration run the streams (a share of them cut and resumed
 * at random points) beside a storm of `/run` jobs past the concurrency limit (some cancelled); let
 * the queue drain and check every accepted job; wait for the ttl to pass; record the end, where the
 * process must hold no job, timer or socket more than at the baseline, and its heap must be back.
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { send } from '../bench/lib/http.ts'
import { launchServer } from '../bench/lib/launch.ts'
import { describeMachine } from '../bench/lib/machine.ts'
import { processTree, sampleRss } from '../bench/lib/proc.ts'
import type { SoakOptions } from './options.ts'
import { commandOf, commitOf, log, summaryOf, writeReport } from './report.ts'
import { sampleOpenStreams, streamLoop } from './streams.ts'
import { settleStorm, storm, StormBook, webhookReceiver } from './storm.ts'
import { emptyTally, jsonOf, seededRandom } from './tally.ts'
import { oneServer } from './targets.ts'
import type { SoakStats } from './worker.ts'
import { soakVerdict } from './verdict.ts'
import { warmUp } from './warm-up.ts'

/** Runs the single-process soak; sets the exit code from its verdict. */
export async function singleSoak(options: SoakOptions): Promise<void> {
  const { streams, ttl, streamPlan, stormPlan } = options
  // Every stream gets a slot, and the storm a few: it overflows into the queue at once.
  const concurrency = streams + 50
  const server = await launchServer('soak', process.execPath, ['--expose-gc', '--import', 'tsx', 'soak/host.ts'], {
    SOAK_CONCURRENCY: String(concurrency),
    SOAK_MAX_QUEUE: String(options.maxQueue),
  })
  const targets = oneServer(server.url)
  const stats = async () => jsonOf<SoakStats>(await send(server.url, { method: 'GET', path: '/__soak/stats' }))

  /** Polls the stats until `done` holds of them or `ms` pass; the last stats either way. */
  async function statsOnce(done: (stats: SoakStats) => boolean, ms: number): Promise<SoakStats> {
    const deadline = Date.now() + ms
    for (;;) {
      const current = await stats()
      if (done(current) || Date.now() > deadline) return current
      await sleep(500)
    }
  }

  // Before any load: the load average is the machine's, not the soak's.
  const machine = describeMachine()

  try {
    const random = seededRandom(options.seed)
    const noJobs = (s: SoakStats) => s.heldJobs === 0
    const idle = (s: SoakStats) => s.health.jobs.inQueue + s.health.jobs.inProgress === 0

    log(`warming up ${server.url}`)
    const warm = emptyTally()
    await warmUp(targets, options, warm, random, () => statsOnce(idle, 30_000))
    const baseline = await statsOnce(noJobs, 30_000)

    log(`load: ${streams} streams and a /run storm for ${options.duration} s`)
    const tally = emptyTally()
    const started = Date.now()
    const loadEnds = started + 1_000 * options.duration
    const stop = () => Date.now() >= loadEnds
    const rss = sampleRss(processTree(server.pid), 1_000)
    const sampled = sampleOpenStreams(started, stop)
    const progress = setInterval(() => log(`${Math.round((Date.now() - started) / 1000)} s: ${JSON.stringify(tally)}`), 30_000)
    const book = new StormBook(stormPlan, tally)
    const receiver = await webhookReceiver(book)
    const streamLoops = Array.from({ length: streams }, () => streamLoop(targets, streamPlan, tally, random, stop))
    await storm(targets, receiver.url, book, random, stop)
    await Promise.all(streamLoops)
    clearInterval(progress)
    const loadSeconds = (Date.now() - started) / 1000

    log('draining the queue and checking the last /run jobs')
    const drained = await statsOnce(idle, 120_000)
    sampled.stop()
    const peakRss = rss.stop()
    await settleStorm(targets, book, 30_000)
    receiver.close()

    log(`waiting for the ttl (${ttl} ms) to pass`)
    const end = await statsOnce(noJobs, ttl + 60_000)

    const report = {
      commit: commitOf(),
      machine,
      command: commandOf(),
      plan: { streams, concurrency, maxQueue: options.maxQueue, duration: options.duration, streamPlan, stormPlan },
      loadSeconds,
      streamsUnderWay: summaryOf(sampled.underWay),
      sseConnectionsOpen: summaryOf(sampled.connections),
      tally,
      memory: { baseline, drained, end, peakRss },
    }
    writeReport(options.out, report, soakVerdict(report.tally, baseline, end))
  } finally {
    await server.stop()
  }
}

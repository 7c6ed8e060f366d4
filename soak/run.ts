/**
 * `npm run soak`: edgepod on Node under load for minutes, on loopback, counting what a production
 * server must never do: lose, repeat or reorder an output, fail a request other than with the
 * documented 429, or keep memory, jobs, timers or sockets after the jobs' ttl has passed.
 *
 * Phases: start the worker (its own process, `--expose-gc`); warm up and let that expire; record
 * the baseline; for `--duration` seconds run `--streams` concurrent stream loops (a share of them
 * cut and resumed at random points) beside a storm of `/run` jobs past the concurrency limit (some
 * cancelled); let the queue drain and check every accepted job; wait for the ttl to pass; record
 * the end. Prints a report, writes it as JSON (`--out`), exits 1 if anything failed.
 * @module
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { send } from '../bench/lib/http.ts'
import { launchServer } from '../bench/lib/launch.ts'
import { describeMachine } from '../bench/lib/machine.ts'
import { processTree, sampleRss } from '../bench/lib/proc.ts'
import { median, range } from '../bench/lib/stats.ts'
import { openStreams, streamLoop } from './streams.ts'
import type { StreamPlan } from './streams.ts'
import { settleStorm, storm, StormBook, webhookReceiver } from './storm.ts'
import type { StormPlan } from './storm.ts'
import { emptyTally, jsonOf, mustBeZero, seededRandom } from './tally.ts'
import type { SoakStats } from './worker.ts'
import { soakVerdict } from './verdict.ts'

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '180' },
    warmup: { type: 'string', default: '3' },
    streams: { type: 'string', default: '1000' },
    tokens: { type: 'string', default: '100' },
    pause: { type: 'string', default: '40' },
    'storm-rate': { type: 'string', default: '300' },
    'storm-submitters': { type: 'string', default: '32' },
    'storm-tokens': { type: 'string', default: '20' },
    'storm-pause': { type: 'string', default: '100' },
    ttl: { type: 'string', default: '60000' },
    'resume-share': { type: 'string', default: '0.3' },
    'cancel-share': { type: 'string', default: '0.05' },
    'max-queue': { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: 'soak/results/latest.json' },
  },
})
const number = (name: keyof typeof values) => Number(values[name])

const streams = number('streams')
const ttl = number('ttl')
const streamPlan: StreamPlan = { input: { count: number('tokens'), pauseMs: number('pause') }, ttl, resumeShare: number('resume-share') }
const stormPlan: StormPlan = {
  input: { count: number('storm-tokens'), pauseMs: number('storm-pause') },
  ttl,
  rate: number('storm-rate'),
  submitters: number('storm-submitters'),
  cancelShare: number('cancel-share'),
}
// Every stream gets a slot, and the storm a few: it overflows into the queue at once.
const concurrency = streams + 50
/** Least, median and most of a series of samples. */
function summaryOf(samples: number[]): { min: number; median: number; max: number; samples: number } {
  const [min, max] = range(samples)
  return { min, median: median(samples), max, samples: samples.length }
}

/** The commit the run measured, marked dirty when the tree has changes. */
function commitOf(): string {
  const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
  const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'soak'], { encoding: 'utf8' }).trim() !== ''
  return dirty ? `${head}+changes` : head
}
const log = (text: string) => console.error(`soak: ${text}`)

const server = await launchServer('soak', process.execPath, ['--expose-gc', '--import', 'tsx', 'soak/host.ts'], {
  SOAK_CONCURRENCY: String(concurrency),
  SOAK_MAX_QUEUE: values['max-queue'],
})
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
  const random = seededRandom(number('seed'))
  const noJobs = (s: SoakStats) => s.heldJobs === 0
  const idle = (s: SoakStats) => s.health.jobs.inQueue + s.health.jobs.inProgress === 0

  log(`warming up ${server.url}`)
  const warm = emptyTally()
  let warming = true
  const warmStreams = Array.from({ length: 50 }, () =>
    streamLoop(server.url, { ...streamPlan, input: { count: 20, pauseMs: 1 }, ttl: 1_000 }, warm, random, () => !warming)
  )
  const warmBook = new StormBook({ ...stormPlan, input: { count: 5, pauseMs: 1 }, ttl: 1_000 }, warm)
  const warmReceiver = await webhookReceiver(warmBook)
  const warmStorm = storm(server.url, warmReceiver.url, warmBook, random, () => !warming)
  await sleep(1_000 * number('warmup'))
  warming = false
  await Promise.all([...warmStreams, warmStorm])
  // The warm-up's jobs end after its storm stops: their webhooks must land before the receiver
  // goes, or the worker is still retrying them (a timer each) when the baseline is taken.
  await statsOnce(idle, 30_000)
  await settleStorm(server.url, warmBook, 30_000)
  warmReceiver.close()
  const baseline = await statsOnce(noJobs, 30_000)

  log(`load: ${streams} streams and a /run storm for ${values.duration} s`)
  const tally = emptyTally()
  const started = Date.now()
  const loadEnds = started + 1_000 * number('duration')
  const stop = () => Date.now() >= loadEnds
  const rss = sampleRss(processTree(server.pid), 1_000)
  // Streams under way and SSE connections open, each second once the loops have all started.
  const underWay: number[] = []
  const connections: number[] = []
  const sampler = setInterval(() => {
    if (Date.now() - started < 10_000 || stop()) return
    underWay.push(openStreams.streams)
    connections.push(openStreams.connections)
  }, 1_000)
  const progress = setInterval(() => log(`${Math.round((Date.now() - started) / 1000)} s: ${JSON.stringify(tally)}`), 30_000)
  const book = new StormBook(stormPlan, tally)
  const receiver = await webhookReceiver(book)
  const streamLoops = Array.from({ length: streams }, () => streamLoop(server.url, streamPlan, tally, random, stop))
  await storm(server.url, receiver.url, book, random, stop)
  await Promise.all(streamLoops)
  clearInterval(progress)
  const loadSeconds = (Date.now() - started) / 1000

  log('draining the queue and checking the last /run jobs')
  const drained = await statsOnce(idle, 120_000)
  clearInterval(sampler)
  const peakRss = rss.stop()
  await settleStorm(server.url, book, 30_000)
  receiver.close()

  log(`waiting for the ttl (${ttl} ms) to pass`)
  const end = await statsOnce(noJobs, ttl + 60_000)

  const report = {
    commit: commitOf(),
    machine,
    command: `npm run soak -- ${process.argv.slice(2).join(' ')}`.trim(),
    plan: { streams, concurrency, maxQueue: number('max-queue'), duration: number('duration'), streamPlan, stormPlan },
    loadSeconds,
    streamsUnderWay: summaryOf(underWay),
    sseConnectionsOpen: summaryOf(connections),
    tally,
    memory: { baseline, drained, end, peakRss },
  }
  const verdict = soakVerdict(report.tally, baseline, end)
  mkdirSync(dirname(values.out), { recursive: true })
  writeFileSync(values.out, `${JSON.stringify({ ...report, verdict }, null, 2)}\n`)
  console.log(JSON.stringify({ tally, verdict, mustBeZero: Object.fromEntries(mustBeZero.map((key) => [key, tally[key]])) }, null, 2))
  log(`report written to ${values.out}`)
  process.exitCode = verdict.passed ? 0 : 1
} finally {
  await server.stop()
}

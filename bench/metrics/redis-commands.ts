/**
 * Redis commands per job and per event batch (`edgepod-redis` only), from `INFO commandstats` read
 * before and after a known amount of work, less the fleet's background (its own timers: sweeps,
 * health reports, claims on its beat), measured first over quiet seconds.
 *
 * - Per job: 100 jobs one after another, each a `POST /run` of 5 events (tick 0) and `GET
 *   /status/:id` 10 ms later, again every 5 ms until it ended; on the solo member (a fleet of one),
 *   then on member 0 of the fleet of three (whose every member hears of the work).
 * - Per event batch: a job of 20 events and one of 220, one every 5 ms, so that each event is an
 *   append of its own: the difference, per extra event. On the fleet of three, with no reader and
 *   with the reader on another member than the one that ran the job (any member may claim it: one
 *   its reader's member ran is run again, with the reader on the next member); on the solo member,
 *   with the reader on the owner.
 * @module
 */
import { fleetVariant } from '../hosts/load-variant.ts'
import type { FleetContext, FleetMember } from '../lib/fleet.ts'
import { jsonOf, openJobStream, submitJob } from '../lib/job-api.ts'
import type { CommandCounts } from '../lib/redis-stats.ts'
import { countsBetween, dividedBy, lessBackground, parseCommandStats, perExtraUnit } from '../lib/redis-stats.ts'
import type { Figures, Metric } from './metric.ts'

const TICK_MS = 5
const SMALL = 20
const LARGE = 220

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Counts the commands `work` causes, less the background; `work` (given the attempt's number)
 * answers false to be tried again.
 */
async function countOf(fleet: FleetContext, background: CommandCounts, work: (attempt: number) => Promise<boolean>): Promise<CommandCounts> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const before = parseCommandStats(await fleet.cli('INFO', 'commandstats'))
    const started = performance.now()
    const counted = await work(attempt)
    const seconds = (performance.now() - started) / 1000
    const after = parseCommandStats(await fleet.cli('INFO', 'commandstats'))
    if (counted) return lessBackground(countsBetween(before, after), seconds, background)
  }
  throw new Error("redis-commands: eight jobs in a row ran on their reader's member")
}

/** Waits until job `id` completed, asking `/status` `first` ms on, then every `every` ms; answers how many times it asked. */
async function awaitCompleted(member: FleetMember, id: string, first: number, every: number): Promise<number> {
  await sleep(first)
  for (let polls = 1; ; polls++) {
    const { status } = await jsonOf<{ status: string }>(member.url, { method: 'GET', path: `/status/${id}` })
    if (status === 'COMPLETED') return polls
    if (!['IN_QUEUE', 'IN_PROGRESS'].includes(status)) throw new Error(`redis-commands: a job ended ${status}`)
    await sleep(every)
  }
}

/** Reads job `id`'s stream on `member` to its end; answers the pid of the member that ran it. */
async function ownerOfRead(member: FleetMember, id: string): Promise<number> {
  let owner = 0
  // The text up to the first event, which a chunk boundary may cut.
  let head = ''
  for await (const chunk of (await openJobStream(member.url, id)) as AsyncIterable<Buffer>) {
    if (owner !== 0 || head.length >= 65_536) continue
    head += chunk.toString('latin1')
    owner = Number(/"pid":(\d+)/.exec(head)?.[1] ?? 0)
  }
  return owner
}

/**
 * One job of `events` events queued on `submitter`, read on `reader` if there is one; false when
 * it ran where it must not: `across` wants another member than the reader's.
 */
async function batchJob(submitter: FleetMember, reader: FleetMember | undefined, events: number, across: boolean): Promise<boolean> {
  const id = await submitJob(submitter.url, { n: events, tick: TICK_MS, stamp: 'first' })
  if (!reader) {
    // One /status for either size, once the job should have ended: the polls cancel out.
    await awaitCompleted(submitter, id, events * TICK_MS + 200, 50)
    return true
  }
  const owner = await ownerOfRead(reader, id)
  return !across || owner !== reader.pid
}

/** Figures `<unit>/<command>` of `counts`. */
const figuresOf = (unit: string, counts: CommandCounts): Figures =>
  Object.fromEntries(Object.entries(counts).map(([name, count]) => [`${unit}/${name}`, Math.max(0, count)]))

/** @see module */
export const redisCommands: Metric = {
  name: 'redis-commands',
  variants: [fleetVariant],
  async run({ quick, fleet }): Promise<Figures> {
    if (!fleet) throw new Error('redis-commands: no fleet')
    const quiet = quick ? 1 : 2
    const before = parseCommandStats(await fleet.cli('INFO', 'commandstats'))
    await sleep(quiet * 1000)
    const background = dividedBy(countsBetween(before, parseCommandStats(await fleet.cli('INFO', 'commandstats'))), quiet)
    const figures: Figures = figuresOf('background per s', background)

    const jobs = quick ? 20 : 100
    for (const [unit, member] of [['job, 1 member', fleet.solo], ['job, 3 members', fleet.members[0]!]] as const) {
      let polls = 0
      const counts = await countOf(fleet, background, async () => {
        for (let job = 0; job < jobs; job++) polls += await awaitCompleted(member, await submitJob(member.url, { n: 5, tick: 0 }), 10, 5)
        return true
      })
      Object.assign(figures, figuresOf(unit, dividedBy(counts, jobs)), { [`${unit}/(GET /status)`]: polls / jobs })
    }

    const submitter = fleet.members[0]!
    for (const [unit, owner, readers, across] of [
      ['batch, no reader', submitter, [], false],
      ['batch, reader on the owner', fleet.solo, [fleet.solo], false],
      ['batch, reader on another member', submitter, fleet.members, true],
    ] as const) {
      const readerOf = (attempt: number) => (readers.length ? readers[attempt % readers.length] : undefined)
      const small = await countOf(fleet, background, (attempt) => batchJob(owner, readerOf(attempt), SMALL, across))
      const large = await countOf(fleet, background, (attempt) => batchJob(owner, readerOf(attempt), LARGE, across))
      Object.assign(figures, figuresOf(unit, perExtraUnit(small, large, LARGE - SMALL)))
    }
    return figures
  },
}

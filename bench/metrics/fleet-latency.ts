/**
 * Live events across a fleet: a job of 200 events, one every 5 ms, each stamped at its yield with
 * the wall clock and the pid of the process yielding it, is queued with `POST /run` on one member
 * and read with `GET /stream/:id` on another; each event's delay is the time from its yield to its
 * arrival at the reader. On `edgepod-redis` the event goes owner → Redis → doorbell → reader's
 * member → Redis → reader. Any member of the fleet may claim a job from its queue (the submitter
 * seldom does: the others hear the doorbell first), so the reader turns from member to member, and
 * a job its reader's member ran is not counted. The reader on the owner is measured on the solo
 * member, a fleet of one. On `edgepod` (one process, in memory) the same job is read on the
 * process that runs it: the figure to compare with.
 * @module
 */
import { fleetVariant } from '../hosts/load-variant.ts'
import type { FleetMember } from '../lib/fleet.ts'
import { openJobStream, submitJob } from '../lib/job-api.ts'
import { readArrivals, sseDataOf } from '../lib/sse-data.ts'
import { median, percentile } from '../lib/stats.ts'
import type { WorkloadEvent } from '../workload.ts'
import { wallClock } from '../workload.ts'
import type { Figures, Metric } from './metric.ts'

const EVENTS = 200
const TICK_MS = 5

/** One job read live: who ran it, each live event's delay, ms, and the events already there when the stream opened. */
interface StampedReading {
  owner: number
  delays: number[]
  replayed: number
}

/** Queues a stamped job on `owner` and reads it on `reader` to its end. */
async function readStamped(owner: FleetMember, reader: FleetMember, events: number): Promise<StampedReading> {
  const id = await submitJob(owner.url, { n: events, tick: TICK_MS, stamp: 'every' })
  const response = await openJobStream(reader.url, id)
  const opened = wallClock()
  const reading: StampedReading = { owner: 0, delays: [], replayed: 0 }
  let arrived = 0
  const onText = sseDataOf((data) => {
    const event = JSON.parse(data) as WorkloadEvent
    // The done event has no stamp.
    if (event.at === undefined) return
    reading.owner = event.pid ?? 0
    if (event.at < opened) reading.replayed++
    else reading.delays.push(arrived - event.at)
  })
  await readArrivals(response, wallClock, (text, at) => {
    arrived = at
    onText(text)
  })
  if (reading.delays.length + reading.replayed !== events) throw new Error(`fleet-latency: ${reading.delays.length + reading.replayed} events of ${events}`)
  return reading
}

/** p50, p90, p99 and max of `delays`, under `prefix`. */
function summary(delays: number[], prefix = ''): Figures {
  const name = (figure: string) => (prefix ? `${prefix}${figure[0]!.toUpperCase()}${figure.slice(1)}` : figure)
  return {
    [name('p50')]: median(delays),
    [name('p90')]: percentile(delays, 90),
    [name('p99')]: percentile(delays, 99),
    [name('max')]: Math.max(...delays),
  }
}

/** @see module */
export const fleetLatency: Metric = {
  name: 'fleet-latency',
  variants: ['edgepod', fleetVariant],
  async run({ url, pid, quick, fleet }) {
    const jobs = quick ? 2 : 5
    const events = quick ? 50 : EVENTS
    /** Reads jobs queued on `submitter` until `jobs` of them ran elsewhere than on their reader, if `across`. */
    const readAll = async (submitter: FleetMember, readers: FleetMember[], across: boolean) => {
      const readings: StampedReading[] = []
      for (let attempt = 0; readings.length < jobs; attempt++) {
        if (attempt >= 5 * jobs) throw new Error(`fleet-latency: ${readings.length} of ${jobs} jobs ran elsewhere than on their reader in ${attempt} tries`)
        const reader = readers[attempt % readers.length]!
        const reading = await readStamped(submitter, reader, events)
        if (!across || reading.owner !== reader.pid) readings.push(reading)
      }
      return readings
    }
    const delaysOf = (readings: StampedReading[]) => readings.flatMap((reading) => reading.delays)
    const replayedOf = (readings: StampedReading[]) => readings.reduce((sum, reading) => sum + reading.replayed, 0)
    if (!fleet) {
      const readings = await readAll({ url, pid }, [{ url, pid }], false)
      return { ...summary(delaysOf(readings)), samples: delaysOf(readings).length, replayed: replayedOf(readings) }
    }
    const across = await readAll(fleet.members[0]!, fleet.members, true)
    const onOwner = await readAll(fleet.solo, [fleet.solo], false)
    return {
      ...summary(delaysOf(across)),
      ...summary(delaysOf(onOwner), 'owner'),
      samples: delaysOf(across).length,
      replayed: replayedOf(across) + replayedOf(onOwner),
    }
  },
}

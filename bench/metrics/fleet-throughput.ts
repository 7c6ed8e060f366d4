/**
 * One stream read across a fleet: a job of 200,000 events (no wait between them) queued with
 * `POST /run` on one member and read whole with `GET /stream/:id` on another; events per second
 * from the submission to the stream's end. On `edgepod-redis` also with the reader on the member
 * running the job (the solo member, a fleet of one); on `edgepod` (one process, in memory) the same
 * job is read where it runs. Any member may claim the job (the submitter seldom does: the others
 * hear the doorbell first); the first event carries the pid of the one that did, and a stream its
 * reader's member ran is read again with the reader on the next member, so that "across" is
 * always across.
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { fleetVariant } from '../hosts/load-variant.ts'
import type { FleetMember } from '../lib/fleet.ts'
import { framesAround, frameCounter } from '../lib/http.ts'
import { openJobStream, submitJob } from '../lib/job-api.ts'
import { processTree, startCpuMeter } from '../lib/proc.ts'
import type { Figures, Metric } from './metric.ts'

/** One stream read whole: events per second, and the pid of the member that ran its job. */
interface Reading {
  eventsPerSecond: number
  owner: number
}

/** Reads `response` to its end: its frames, and the pid its first event carries. */
async function framesOf(response: IncomingMessage): Promise<{ frames: number; owner: number }> {
  const count = frameCounter()
  let frames = 0
  let owner = 0
  // The text up to the first event, which a chunk boundary may cut.
  let head = ''
  for await (const chunk of response as AsyncIterable<Buffer>) {
    if (owner === 0 && head.length < 65_536) {
      head += chunk.toString('latin1')
      owner = Number(/"pid":(\d+)/.exec(head)?.[1] ?? 0)
    }
    frames += count(chunk)
  }
  return { frames, owner }
}

/** Queues the stream on `submitter`, reads it on `reader`. */
async function readAcross(submitter: FleetMember, reader: FleetMember, n: number): Promise<Reading> {
  const started = performance.now()
  const id = await submitJob(submitter.url, { n, tick: 0, stamp: 'first' })
  const { frames, owner: ranOn } = await framesOf(await openJobStream(reader.url, id))
  const seconds = (performance.now() - started) / 1000
  const { before, after } = framesAround('edgepod')
  if (frames - before - after !== n) throw new Error(`fleet-throughput: ${frames - before - after} events arrived of ${n}`)
  return { eventsPerSecond: n / seconds, owner: ranOn }
}

/** @see module */
export const fleetThroughput: Metric = {
  name: 'fleet-throughput',
  variants: ['edgepod', fleetVariant],
  async run({ url, pid, quick, fleet }): Promise<Figures> {
    const n = quick ? 20_000 : 200_000
    if (!fleet) {
      const cpu = startCpuMeter(processTree(pid))
      const reading = await readAcross({ url, pid }, { url, pid }, n)
      return { eventsPerSecond: reading.eventsPerSecond, serverCpuSeconds: cpu().serverSeconds }
    }
    const submitter = fleet.members[0]!
    const tree = [...fleet.members.flatMap((member) => processTree(member.pid)), fleet.redisPid]
    let across: Reading | undefined
    let serverCpuSeconds = NaN
    let redisCpuSeconds = NaN
    for (let attempt = 0; !across; attempt++) {
      if (attempt === 6) throw new Error("fleet-throughput: the reader's member ran the job six times out of six")
      const reader = fleet.members[attempt % fleet.members.length]!
      const cpu = startCpuMeter(tree)
      const redisCpu = startCpuMeter([fleet.redisPid])
      const reading = await readAcross(submitter, reader, n)
      serverCpuSeconds = cpu().serverSeconds
      redisCpuSeconds = redisCpu().serverSeconds
      if (reading.owner !== reader.pid) across = reading
    }
    const onOwner = await readAcross(fleet.solo, fleet.solo, n)
    return { eventsPerSecond: across.eventsPerSecond, serverCpuSeconds, redisCpuSeconds, ownerEventsPerSecond: onOwner.eventsPerSecond }
  },
}

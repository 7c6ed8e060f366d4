/**
 * The soak's streams: each loop opens `POST /stream` jobs one after another and checks every output
 * arrives exactly once and in order, through disconnects at random points and resumes with
 * `Last-Event-ID`, until the soak says stop.
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { createParser } from 'eventsource-parser'
import { send } from '../bench/lib/http.ts'
import type { SoakInput } from './worker.ts'
import { checkStreamEnd } from './fleet-checks.ts'
import { cutByKill, sendElsewhere } from './kill-cuts.ts'
import type { Tally } from './tally.ts'
import { fail, refusal } from './tally.ts'
import type { Targets } from './targets.ts'

/** How one stream loop behaves. */
export interface StreamPlan {
  input: SoakInput
  /** `policy.ttl` of its jobs, ms. */
  ttl: number
  /** The share of connections cut at a random point and resumed. */
  resumeShare: number
}

type Reading = { ended: 'done'; status: string } | { ended: 'cut' } | { ended: 'closed' }

/** What a reader knows of its job so far. */
export interface Progress {
  lastId: number
  seen: Uint8Array
  next: number
  done: boolean
}

/** How many connections one stream may take before the soak stops resuming it. */
const MAX_CONNECTIONS = 200

/**
 * Now: streams under way (from `POST /stream` to their `done`, resumes included, 429 waits not),
 * and SSE connections open (headers received, body being read). The soak samples both.
 */
export const openStreams = { streams: 0, connections: 0 }

/**
 * Reads one connection's events into `progress`; cuts it after `cutAfter` outputs (if ≥ 0).
 * Each kind of fault has its count: an id that does not follow the last by 1 (or comes after
 * `done`), an output seen before, one after a gap; what never came is counted once, at `done`.
 */
export function readEvents(response: IncomingMessage, progress: Progress, tally: Tally, cutAfter: number, jobId: string): Promise<Reading> {
  openStreams.connections++
  return new Promise((resolve) => {
    let outputs = 0
    let settled = false
    let cut = false
    const settle = (reading: Reading) => {
      if (settled) return
      settled = true
      openStreams.connections--
      resolve(reading)
    }
    const parser = createParser({
      onEvent(event) {
        // The rest of the chunk a cut arrived in: a client that went away never saw it.
        if (cut) return
        if (progress.done) return fail(tally, 'badEventIds', `${jobId}: event ${event.id} after done`)
        const id = Number(event.id)
        if (id !== progress.lastId + 1) fail(tally, 'badEventIds', `${jobId}: event id ${id} after ${progress.lastId}`)
        progress.lastId = Math.max(progress.lastId, id)
        if (event.event === 'done') {
          progress.done = true
          return settle({ ended: 'done', status: (JSON.parse(event.data) as { status: string }).status })
        }
        const { i } = JSON.parse(event.data) as { i: number }
        tally.streamOutputs++
        if (progress.seen[i]) fail(tally, 'duplicatedOutputs', `${jobId}: output ${i} twice`)
        else if (i !== progress.next) fail(tally, 'outOfOrderOutputs', `${jobId}: output ${i} where ${progress.next} was due`)
        progress.seen[i] = 1
        progress.next = i + 1
        if (++outputs === cutAfter) {
          cut = true
          response.destroy()
          settle({ ended: 'cut' })
        }
      },
    })
    response.setEncoding('utf8')
    response.on('data', (chunk: string) => parser.feed(chunk))
    // Read to the end even after `done`, so that an event after it would be seen.
    response.once('end', () => settle({ ended: 'closed' }))
    response.once('error', () => settle({ ended: 'closed' }))
    response.once('close', () => settle({ ended: 'closed' }))
  })
}

/** Runs one stream job to its end, resuming through the cuts (a 429 is waited out and counted). */
async function oneStream(targets: Targets, plan: StreamPlan, tally: Tally, random: () => number): Promise<void> {
  const url = targets.submit()
  const body = JSON.stringify({ input: plan.input, policy: { ttl: plan.ttl } })
  openStreams.streams++
  let response: IncomingMessage
  try {
    try {
      response = await send(url, { method: 'POST', path: '/stream', body, headers: { accept: 'text/event-stream' } })
    } catch (error) {
      if (cutByKill(targets, tally, url)) return
      throw error
    }
    if (response.statusCode === 200) return await followStream(targets, url, response, plan, tally, random)
  } finally {
    openStreams.streams--
  }
  await refusal(tally, response, 'POST /stream', 'streamRefused429')
}

/**
 * Reads a stream job from its first answer to its `done`, resuming through the cuts; in a fleet,
 * each resume goes to another member than the last, and a connection closed by its member's kill
 * is resumed like a cut.
 */
async function followStream(targets: Targets, first: string, firstResponse: IncomingMessage, plan: StreamPlan, tally: Tally, random: () => number): Promise<void> {
  let url = first
  let response = firstResponse
  const jobId = String(response.headers['x-job-id'])
  const progress: Progress = { lastId: 0, seen: new Uint8Array(plan.input.count), next: 0, done: false }
  tally.streams++
  const missing = () => progress.seen.reduce((sum, seen) => sum + (seen ? 0 : 1), 0)
  for (let connections = 1; ; connections++) {
    const cutAfter = random() < plan.resumeShare ? 1 + Math.floor(random() * plan.input.count) : -1
    const reading = await readEvents(response, progress, tally, cutAfter, jobId)
    if (reading.ended === 'done') {
      if (tally.fleet) return checkStreamEnd(targets, url, jobId, reading.status, progress, tally)
      if (reading.status !== 'COMPLETED') fail(tally, 'lostJobs', `${jobId}: ended ${reading.status}`)
      if (missing() > 0) fail(tally, 'lostOutputs', `${jobId}: ${missing()} outputs never arrived`, missing())
      return
    }
    if (reading.ended === 'closed' && !cutByKill(targets, tally, url)) {
      fail(tally, 'truncatedStreams', `${jobId}: the stream closed without done after id ${progress.lastId}`)
    } else if (reading.ended === 'cut') tally.resumes++
    if (connections === MAX_CONNECTIONS) {
      return fail(tally, 'lostOutputs', `${jobId}: no done after ${MAX_CONNECTIONS} connections`, missing())
    }
    const headers = { accept: 'text/event-stream', 'last-event-id': String(progress.lastId) }
    const resumed = await sendElsewhere(targets, tally, url, { method: 'GET', path: `/stream/${jobId}`, headers })
    if (resumed instanceof Error) return fail(tally, 'failedRequests', `${jobId}: resume: ${resumed.message}`)
    ;({ url, response } = resumed)
    if (response.statusCode !== 200) {
      await refusal(tally, response, `GET /stream/${jobId}`)
      return fail(tally, 'lostOutputs', `${jobId}: could not resume`, missing())
    }
  }
}

/** Opens stream after stream until `stop()` is true; network errors are counted, never thrown. */
export async function streamLoop(targets: Targets, plan: StreamPlan, tally: Tally, random: () => number, stop: () => boolean): Promise<void> {
  while (!stop()) {
    try {
      await oneStream(targets, plan, tally, random)
    } catch (error) {
      fail(tally, 'failedRequests', `POST /stream: ${(error as Error).message}`)
    }
  }
}

/** Samples of {@link openStreams} taken during the load: `stop()` ends the sampling. */
export interface OpenStreamSamples {
  underWay: number[]
  connections: number[]
  stop(): void
}

/**
 * Samples the streams under way and the SSE connections open each second, from 10 s after
 * `started` (once the loops have all started) until `loadOver()`.
 */
export function sampleOpenStreams(started: number, loadOver: () => boolean): OpenStreamSamples {
  const samples: OpenStreamSamples = { underWay: [], connections: [], stop: () => clearInterval(timer) }
  const timer = setInterval(() => {
    if (Date.now() - started < 10_000 || loadOver()) return
    samples.underWay.push(openStreams.streams)
    samples.connections.push(openStreams.connections)
  }, 1_000)
  return samples
}

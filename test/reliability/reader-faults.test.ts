/**
 * Faults in readers, against real Node servers on port 0 with real `fetch`:
 *
 * - Readers that cut their connection at random points (fast-check), in the middle of a frame
 *   too, and come back with `Last-Event-ID` 20 to 50 times, on `/run` and `POST /stream` jobs of
 *   300 outputs that go on while they are away: every event once, in order, ids 1, 2, 3, … with
 *   no gap, then exactly one `done`, last, with the job's status; no reader left attached. And
 *   `edgepod/client` resuming from a server that ends the body cleanly mid-frame, again and again
 *   (client.test.ts cuts the TCP connection 3 times through a proxy; this is the other way to drop).
 * - A reader that never reads while its handler produces as fast as it can: the log stops at
 *   `maxResultBytes` (FAILED, `payload_too_large`, the outputs kept, the handler stopped), the
 *   stuck stream is encoded no further than the socket takes, and meanwhile another reader gets
 *   everything and the server answers other requests; when the stuck reader reads, nothing is lost.
 * - 50 readers of one job, joining from the start, midway, and midway with `Last-Event-ID`
 *   (header and query): the same bytes for all, while RunPod's draining polls and `?after=` pages,
 *   beside them, still return each output exactly once.
 * - Readers after the end: the whole log again, byte for byte; after any id, exactly the events
 *   after it (after the last output, only `done`); 204 after `done`; and 404 `job_not_found` once
 *   the ttl has passed, also when it passed while the job ran and a reader followed it.
 */
import { readFileSync } from 'node:fs'
import { createParser } from 'eventsource-parser'
import type { EventSourceMessage } from 'eventsource-parser'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { serve } from '../../src/adapter/node/index.ts'
import type { FetchHandler, NodeServer } from '../../src/adapter/node/index.ts'
import { createClient } from '../../src/client/index.ts'
import { start } from '../../src/serverless.ts'
import type { Job } from '../../src/types.ts'
import { serveRecording } from '../helpers/recording-server.ts'
import type { SeenRequest } from '../helpers/recording-server.ts'
import { checkedStream, sseReader } from '../helpers/sse-reader.ts'

const SSE = { accept: 'text/event-stream' } as const
/** docs/protocol.md: the stream opens with a comment line, so proxies flush. */
const OPENING = ': edgepod\n\n'
/** A progress report before every 25th output: the ids count progress events too, in order. */
const PROGRESS_EVERY = 25
/** The outputs of the jobs readers fault on: a few hundred. */
const COUNT = 300

/**
 * Outputs handed to a handler one by one: it takes a credit before each output, so the test
 * decides how far a job has gone when a reader cuts, reconnects or joins, with no sleeping.
 */
class Credits {
  granted = 0
  #taken = 0
  #wake: (() => void) | undefined
  #idle: (() => void)[] = []

  /** Lets the handler make `count` more outputs. */
  grant(count: number): void {
    this.granted += count
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }

  /** Resolves once the handler waits for a credit it does not have: every granted output is in the log. */
  drained(): Promise<void> {
    if (this.#wake) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  async take(signal: AbortSignal): Promise<void> {
    while (this.#taken === this.granted) {
      // A cancelled job's handler must not wait for credits forever.
      signal.throwIfAborted()
      await new Promise<void>((resolve) => {
        // One listener at a time: a job waits hundreds of times on the same signal.
        const wake = () => {
          signal.removeEventListener('abort', wake)
          resolve()
        }
        this.#wake = wake
        signal.addEventListener('abort', wake, { once: true })
        for (const idle of this.#idle.splice(0)) idle()
      })
    }
    this.#taken++
  }
}

const credits = new Map<string, Credits>()
const creditsOf = (key: string) => credits.get(key) ?? (credits.set(key, new Credits()), credits.get(key)!)

interface Input {
  /** Whose credits the handler takes; without a key it makes all its outputs at once. */
  key?: string
  count: number
  /** Thrown after the last output: the job ends FAILED. */
  fail?: string
}

/** Outputs 0 … count-1, a progress report `{at: i}` before every {@link PROGRESS_EVERY}th. */
async function* counting(job: Job<Input>) {
  const { key, count, fail } = job.input
  const pace = key === undefined ? undefined : creditsOf(key)
  for (let i = 0; i < count; i++) {
    await pace?.take(job.signal)
    if (i % PROGRESS_EVERY === 0) job.progress({ at: i })
    yield i
  }
  if (fail !== undefined) throw new Error(fail)
}

/** The events before `done` of a job of `count` outputs, as [event, data]. */
function expectedEvents(count: number): [string, string][] {
  const events: [string, string][] = []
  for (let i = 0; i < count; i++) {
    if (i % PROGRESS_EVERY === 0) events.push(['progress', JSON.stringify({ at: i })])
    events.push(['output', String(i)])
  }
  return events
}

/** How many events the log holds once `outputs` outputs are in (progress included, `done` not). */
const eventsFor = (outputs: number) => outputs + Math.ceil(outputs / PROGRESS_EVERY)

/**
 * A disconnect grace far longer than any pause here: a `POST /stream` job outlives its reader's
 * gaps. Polls with nothing new answer after 50 ms, not 1 s, while a job waits for its credits.
 */
const worker = start({ handler: counting, returnAggregateStream: true, disconnectGrace: 60_000, streamPollWait: 50 })

/** A server-side cut of one SSE answer (the client test): see {@link cutAfter}. */
interface ServerCut {
  /** Frames that go through before the body ends. */
  events: number
  /** Characters of the next frame sent before the end: a frame cut in half. */
  tail: number
  /** Outputs granted when the answer starts, besides the `events` it needs. */
  extra: number
}

/** Per job, the server-side cuts of its next SSE answers, and the frames each answer passed. */
const cutPlans = new Map<string, { pace: Credits; cuts: ServerCut[]; served: number[] }>()

/**
 * The main worker behind a front that, for a job with a cut plan, ends each SSE answer cleanly
 * (a proper end of the body, no error) after some frames and half of the next one, as a proxy
 * or load balancer that closes streams would. Every answer grants the outputs it will pass, so
 * the job is still running while its reader comes and goes.
 */
const front: FetchHandler = {
  async fetch(request, env) {
    const response = await worker.fetch(request, env)
    const id = response.headers.get('x-job-id')
    const plan = id === null ? undefined : cutPlans.get(id)
    if (!plan || !response.body) return response
    const cut = plan.cuts.shift()
    const remaining = COUNT - plan.pace.granted
    plan.pace.grant(cut === undefined ? remaining : Math.min(cut.events + cut.extra, remaining))
    const served = plan.served.push(0) - 1
    const body = cutAfter(response.body, cut, (frames) => (plan.served[served] = frames))
    return new Response(body, { status: response.status, headers: response.headers })
  },
}

/**
 * Passes an SSE body through frame by frame; with a cut, ends it after `cut.events` frames and
 * `cut.tail` characters of the next one (never the whole of it), and lets go of the real stream.
 */
function cutAfter(body: ReadableStream<Uint8Array>, cut: ServerCut | undefined, count: (frames: number) => void): ReadableStream<Uint8Array> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  const encoder = new TextEncoder()
  let pending = ''
  let frames = 0
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        // A pull that enqueues nothing is not called again: read until there is something to send.
        for (;;) {
          const { done, value } = await reader.read()
          if (done) {
            controller.close()
            return
          }
          pending += decoder.decode(value, { stream: true })
          let out = ''
          for (let end = pending.indexOf('\n\n'); end >= 0; end = pending.indexOf('\n\n')) {
            const frame = pending.slice(0, end + 2)
            pending = pending.slice(end + 2)
            out += frame
            if (!frame.startsWith('id:')) continue
            count(++frames)
            if (cut !== undefined && frames === cut.events) {
              const next = pending.indexOf('\n\n')
              out += pending.slice(0, Math.min(cut.tail, next < 0 ? pending.length : next + 1))
              controller.enqueue(encoder.encode(out))
              controller.close()
              await reader.cancel()
              return
            }
          }
          if (out) {
            controller.enqueue(encoder.encode(out))
            return
          }
        }
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 }
  )
}

/** What the socket takes beyond the reader: Linux's largest TCP send buffer (its default, 4 MiB, elsewhere). */
function sendBufferMax(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/tcp_wmem', 'utf8').trim().split(/\s+/)[2]) || 4 * 1024 * 1024
  } catch {
    return 4 * 1024 * 1024
  }
}

/** Each flood output's JSON plus the separator the budget counts: exactly 64 KiB. */
const FLOOD_BYTES = 64 * 1024
const FLOOD_OUTPUT = 'x'.repeat(FLOOD_BYTES - 3)
/**
 * How many flood outputs `maxResultBytes` admits: a log 4 times what a socket buffers, so that a
 * stream encoded ahead of its reader would show (a quarter of the log would be all it could hold).
 */
const FLOOD_OUTPUTS = Math.max(256, Math.ceil((4 * sendBufferMax()) / FLOOD_BYTES))
const flood = { yields: 0, stopped: false }

/** A worker whose `{flood: true}` job yields 64 KiB outputs forever, as fast as it can. */
const floodWorker = start({
  returnAggregateStream: true,
  maxResultBytes: FLOOD_OUTPUTS * FLOOD_BYTES,
  handler: async function* (job: Job<{ flood?: boolean }>) {
    if (!job.input.flood) {
      yield 'small'
      return
    }
    try {
      for (;;) {
        flood.yields++
        yield FLOOD_OUTPUT
      }
    } finally {
      flood.stopped = true
    }
  },
})

/** What the Node adapter pulled from one SSE body, to write to that reader's socket. */
interface Tap {
  method: string
  jobId: string
  bytes: number
  chunks: number
  ended: boolean
}
const taps: Tap[] = []

/** The flood worker behind a front that counts every chunk pulled from each SSE body, pulling nothing itself. */
const tapping: FetchHandler = {
  async fetch(request, env) {
    const response = await floodWorker.fetch(request, env)
    if (!response.body || !response.headers.get('content-type')?.startsWith('text/event-stream')) return response
    const tap: Tap = { method: request.method, jobId: response.headers.get('x-job-id') ?? '', bytes: 0, chunks: 0, ended: false }
    taps.push(tap)
    const reader = response.body.getReader()
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          const { done, value } = await reader.read()
          if (done) {
            tap.ended = true
            controller.close()
            return
          }
          tap.bytes += value.byteLength
          tap.chunks++
          controller.enqueue(value)
        },
        cancel(reason) {
          tap.ended = true
          return reader.cancel(reason)
        },
      },
      { highWaterMark: 0 }
    )
    return new Response(body, { status: response.status, headers: response.headers })
  },
}

let main: NodeServer
let requestsTo: (path: string) => SeenRequest[]
let floodServer: NodeServer
beforeAll(async () => {
  ;({ server: main, requestsTo } = await serveRecording(front))
  floodServer = await serve(tapping, { port: 0 })
})
afterAll(async () => {
  await main.close()
  await floodServer.close()
})

const postJson = (url: string, body: unknown, init: RequestInit = {}) =>
  fetch(url, { ...init, method: 'POST', body: JSON.stringify(body), headers: { ...SSE, ...init.headers } })

async function runJob(input: Input, policy?: { ttl: number }): Promise<string> {
  const response = await fetch(`${main.url}/run`, { method: 'POST', body: JSON.stringify({ input, policy }) })
  expect(response.status).toBe(200)
  return ((await response.json()) as { id: string }).id
}

const streamOf = (id: string, headers: Record<string, string> = {}, query = '') =>
  fetch(`${main.url}/stream/${id}${query}`, { headers: { ...SSE, ...headers } })

/** The frames of an SSE body after its opening comment, each with its blank line. */
function framesOf(text: string): string[] {
  expect(text.startsWith(OPENING)).toBe(true)
  return text.slice(OPENING.length).split(/(?<=\n\n)/)
}

/** Parses a whole SSE body with an independent parser. */
function parse(text: string): EventSourceMessage[] {
  const events: EventSourceMessage[] = []
  createParser({ onEvent: (event) => events.push(event) }).feed(text)
  return events
}

/** Checks a whole stream: ids 1…n with no gap, the job's events in order, one `done`, last. */
function expectWhole(events: EventSourceMessage[], count: number, done: Record<string, unknown>): void {
  expect(checkedStream(events).done).toMatchObject(done)
  expect(events.slice(0, -1).map((event) => [event.event, event.data])).toEqual(expectedEvents(count))
}

/**
 * Reads an SSE answer into `seen` until `seen` holds `target` events, frame by frame so it can
 * stop right after one, then takes `tail` more characters of what already arrived (half a frame,
 * which the parser must never hand over) and returns, leaving the body unread: the caller cuts.
 */
async function readUntil(response: Response, seen: EventSourceMessage[], target: number, tail: number): Promise<void> {
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  const parser = createParser({ onEvent: (event) => seen.push(event) })
  while (seen.length < target) {
    const { done, value } = await reader.read()
    if (done) return
    let text = decoder.decode(value, { stream: true })
    while (text && seen.length < target) {
      const end = text.indexOf('\n\n')
      const take = end < 0 ? text.length : end + 2
      parser.feed(text.slice(0, take))
      text = text.slice(take)
    }
    if (seen.length >= target) parser.feed(text.slice(0, tail))
  }
}

/**
 * One random cut: outputs made while the reader is away (`before`, replayed when it is back) and
 * while it is connected (`during`, live), how many events it reads before it cuts, and how many
 * characters of the next frame it has when it does.
 */
interface ReaderCut {
  before: number
  during: number
  events: number
  tail: number
}
const cutArbitrary: fc.Arbitrary<ReaderCut> = fc.record({
  before: fc.nat({ max: 8 }),
  during: fc.nat({ max: 8 }),
  events: fc.nat({ max: 12 }),
  tail: fc.nat({ max: 40 }),
})
/** The most outputs one cut grants: at least COUNT / 16 connections before the job can end. */
const MOST_PER_CUT = 16

let runs = 0

/**
 * A reader that cuts its connection at each of `cuts` (aborting its fetch), and reconnects with
 * `Last-Event-ID` = the last id it saw, while the job goes on; at the end it reads to `done`.
 */
async function cuttingReader(origin: 'run' | 'stream', cuts: ReaderCut[]) {
  const key = `random-${origin}-${++runs}`
  const pace = creditsOf(key)
  // The POST /stream job fails after its outputs: the `done` must carry that status, not CANCELLED.
  const input: Input = { key, count: COUNT, fail: origin === 'stream' ? 'failed after its outputs' : undefined }
  const grant = (count: number) => pace.grant(Math.min(count, COUNT - pace.granted))
  // The events sure to come: those of the granted outputs, and `done` once all are granted.
  const sure = () => eventsFor(pace.granted) + (pace.granted === COUNT ? 1 : 0)
  const seen: EventSourceMessage[] = []
  let id = origin === 'run' ? await runJob(input) : undefined

  const connect = async (signal?: AbortSignal) => {
    if (id === undefined) {
      const response = await postJson(`${main.url}/stream`, { input }, { signal })
      id = response.headers.get('x-job-id')!
      return response
    }
    const lastEventId = seen.at(-1)?.id
    return fetch(`${main.url}/stream/${id}`, { headers: { ...SSE, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) }, signal })
  }

  let connections = 0
  for (const cut of cuts) {
    if (seen.at(-1)?.event === 'done') break
    // The job goes on while the reader is away: these outputs are in the log before it is back.
    grant(cut.before)
    if (id !== undefined && pace.granted < COUNT) await pace.drained()
    const disconnect = new AbortController()
    const response = await connect(disconnect.signal)
    connections++
    expect(response.status).toBe(200)
    grant(cut.during)
    await readUntil(response, seen, seen.length + Math.min(cut.events, sure() - seen.length), cut.tail)
    disconnect.abort()
    // The server saw it go before it comes back: a real resume, not two connections overlapping
    // (on POST /stream, the disconnect grace is running now).
    await expect.poll(() => worker.engine.store.jobs.readers(id!, 0), { interval: 1 }).toBe(0)
  }
  grant(COUNT)
  if (seen.at(-1)?.event !== 'done') await readUntil(await connect(), seen, Infinity, 0)

  expectWhole(seen, COUNT, input.fail ? { id, status: 'FAILED', error: input.fail } : { id, status: 'COMPLETED' })
  // The plan really came back that many times: the job could not end sooner.
  expect(connections).toBeGreaterThanOrEqual(Math.min(cuts.length, Math.ceil(COUNT / MOST_PER_CUT)))
  // Having seen `done`, a reconnect is told to stop.
  expect((await streamOf(id!, { 'last-event-id': seen.at(-1)!.id! })).status).toBe(204)
  await expect.poll(() => worker.engine.store.jobs.readers(id!, 0)).toBe(0)
}

/** Property runs against a real server: report the first counterexample (with its seed) rather than shrink past the test's time. */
const realServerRuns = (numRuns: number) => ({ numRuns, endOnFailure: true, plugins: [fc.timeout(5_000)] })

describe('readers that disconnect and resume at random points', () => {
  const origins = {
    run: 'a /run job of 300 outputs: every event once, in order, ids with no gap, one done (COMPLETED), through 20-50 cuts',
    stream: 'a POST /stream job, its reader gone between cuts (within disconnectGrace): the same, and done is the FAILED it ended with',
  } as const
  for (const [origin, title] of Object.entries(origins) as ['run' | 'stream', string][]) {
    it(title, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(cutArbitrary, { minLength: 20, maxLength: 50 }), (cuts) => cuttingReader(origin, cuts)),
        realServerRuns(4)
      )
    })
  }

  it('edgepod/client resumes from a server that ends the body cleanly in the middle of a frame, 20+ times', async () => {
    const serverCut: fc.Arbitrary<ServerCut> = fc.record({ events: fc.integer({ min: 1, max: 15 }), tail: fc.nat({ max: 40 }), extra: fc.nat({ max: 8 }) })
    await fc.assert(
      fc.asyncProperty(fc.array(serverCut, { minLength: 20, maxLength: 50 }), async (cuts) => {
        const key = `client-${++runs}`
        const id = await runJob({ key, count: COUNT })
        const plan = { pace: creditsOf(key), cuts: [...cuts], served: [] as number[] }
        cutPlans.set(id, plan)
        const client = createClient({ baseUrl: main.url })
        const got: [string, unknown][] = []
        // Each cut brings new events, so the failures in a row never pass 1: few attempts suffice.
        const stream = client.stream(id, { retry: { attempts: 2, initialDelay: 1, maxDelay: 5 }, onProgress: (p) => got.push(['progress', p]) })
        for await (const output of stream) got.push(['output', output])

        expect(got).toEqual(expectedEvents(COUNT).map(([event, data]) => [event, JSON.parse(data)]))
        expect(stream.lastEventId).toBe(String(eventsFor(COUNT) + 1))
        // Each reconnect asked for the events after the last whole frame it had: the frames
        // every earlier answer passed, never the half frame after them.
        const asked = requestsTo(`/stream/${id}`).map((request) => request.lastEventId)
        const expected = plan.served.map((_, i) => (i === 0 ? null : String(plan.served.slice(0, i).reduce((a, b) => a + b, 0))))
        expect(asked).toEqual(expected)
        // At most 15 frames per answer: the 313 events took more than 20 connections.
        expect(asked.length).toBeGreaterThan(20)
        await expect.poll(() => worker.engine.store.jobs.readers(id, 0)).toBe(0)
      }),
      realServerRuns(3)
    )
  })
})

/**
 * Counts the bytes of the SSE frames the server encodes, whichever stream encodes them, until the
 * test ends: a stream that encoded ahead of its reader into its own queue would never show in
 * what is pulled from it.
 */
function countEncodedFrames(): () => number {
  let bytes = 0
  const encode = TextEncoder.prototype.encode
  TextEncoder.prototype.encode = function (this: TextEncoder, input?: string) {
    const encoded = encode.call(this, input)
    if (input?.startsWith('id: ')) bytes += encoded.byteLength
    return encoded
  }
  onTestFinished(() => {
    TextEncoder.prototype.encode = encode
  })
  return () => bytes
}

describe('a reader that never reads', () => {
  it('holds its connection while the job floods: the log stops at maxResultBytes, its stream at what the socket takes, and nothing is lost', async () => {
    const framesEncoded = countEncodedFrames()
    const stuck = await postJson(`${floodServer.url}/stream`, { input: { flood: true } })
    expect(stuck.status).toBe(200)
    const id = stuck.headers.get('x-job-id')!

    // The job does not wait for its reader: it ends as documented, FAILED with payload_too_large,
    // keeping exactly the outputs that fit, and its handler is stopped at the one refused.
    const status = await (await fetch(`${floodServer.url}/status-sync/${id}`)).json()
    expect(status).toMatchObject({ id, status: 'FAILED', errorDetail: { code: 'payload_too_large' } })
    expect(status.output).toHaveLength(FLOOD_OUTPUTS)
    expect(status.output.every((output: unknown) => output === FLOOD_OUTPUT)).toBe(true)
    await expect.poll(() => flood.stopped).toBe(true)
    expect(flood.yields).toBe(FLOOD_OUTPUTS + 1)

    // Meanwhile another reader gets the whole log, and the server answers other requests.
    const all = await sseReader(await fetch(`${floodServer.url}/stream/${id}`, { headers: SSE })).rest()
    expect(all).toHaveLength(FLOOD_OUTPUTS + 1)
    expect(all.map((event) => event.id)).toEqual(all.map((_, i) => String(i + 1)))
    expect(all.filter((event) => event.event === 'output' && event.data === JSON.stringify(FLOOD_OUTPUT))).toHaveLength(FLOOD_OUTPUTS)
    expect(all.at(-1)?.event).toBe('done')
    expect(JSON.parse(all.at(-1)!.data)).toMatchObject({ status: 'FAILED', errorDetail: { code: 'payload_too_large' } })
    const small = await (await fetch(`${floodServer.url}/runsync`, { method: 'POST', body: '{"input":{}}' })).json()
    expect(small).toMatchObject({ status: 'COMPLETED', output: ['small'] })
    expect((await fetch(`${floodServer.url}/health`)).status).toBe(200)

    // The stuck stream was encoded only as far as the socket took it: all of the log went to the
    // other reader, less than half of it to this one (the socket buffers a quarter at most), and
    // it is still open, counted as a reader.
    const whole = taps.find((tap) => tap.jobId === id && tap.method === 'GET')!
    const held = taps.find((tap) => tap.jobId === id && tap.method === 'POST')!
    expect(whole.ended).toBe(true)
    expect(whole.bytes).toBeGreaterThan(FLOOD_OUTPUTS * FLOOD_BYTES)
    expect(held.ended).toBe(false)
    expect(held.bytes).toBeGreaterThan(0)
    expect(held.bytes).toBeLessThan(whole.bytes / 2)
    expect(held.chunks).toBeLessThan(whole.chunks / 2)
    // And encoded no more than was pulled: its frames are those of the other reader, which read
    // them all, and those pulled for it; nothing waits encoded in its queue.
    expect(framesEncoded() - (whole.bytes - OPENING.length)).toBe(held.bytes - OPENING.length)
    expect(floodWorker.engine.store.jobs.readers(id, 0)).toBe(1)

    // Backpressure, not loss: when it finally reads, it gets every byte the other reader got.
    const late = await sseReader(stuck).rest()
    expect(late.map((event) => [event.id, event.event, event.data])).toEqual(all.map((event) => [event.id, event.event, event.data]))
    expect(held).toMatchObject({ ended: true, bytes: whole.bytes })
    await expect.poll(() => floodWorker.engine.store.jobs.readers(id, 0)).toBe(0)
  })
})

describe('many readers on one job', () => {
  it('50 readers, from the start, midway and after a Last-Event-ID, get the same bytes; draining polls beside them get each output once', async () => {
    const key = 'many-readers'
    const pace = creditsOf(key)
    const id = await runJob({ key, count: COUNT })
    pace.grant(100)
    await pace.drained()

    const bodies: Promise<{ after: number; text: string }>[] = []
    /** Connects a reader (the stream exists once the headers are in) and reads it to its end. */
    const join = async (after?: number, how: 'header' | 'query' = 'header') => {
      const response =
        after === undefined ? await streamOf(id) : how === 'header' ? await streamOf(id, { 'last-event-id': String(after) }) : await streamOf(id, {}, `?lastEventId=${after}`)
      expect(response.status).toBe(200)
      bodies.push(response.text().then((text) => ({ after: after ?? 0, text })))
    }
    const midway = (count: number, seed: number) =>
      fc.sample(fc.integer({ min: 1, max: eventsFor(pace.granted) }), { numRuns: count, seed })

    // RunPod's polled stream beside the readers: a draining poller and a `?after=` one, until the
    // end. The first draining read, while the job runs, returns all that is there.
    const drain = async (): Promise<{ status: string; stream: { output: number }[] }> =>
      (await fetch(`${main.url}/stream/${id}`, { headers: { accept: 'application/json' } })).json()
    const first = await drain()
    expect(first).toEqual({ id, status: 'IN_PROGRESS', stream: Array.from({ length: 100 }, (_, i) => ({ output: i })) })
    const drainPages = (async () => {
      const pages = [first]
      while (pages.at(-1)!.status === 'IN_PROGRESS') pages.push(await drain())
      return pages
    })()
    const cursorPages = (async () => {
      const pages: { status: string; stream: { output: number }[]; cursor: number }[] = []
      let after = 0
      do {
        pages.push(await (await fetch(`${main.url}/stream/${id}?after=${after}`)).json())
        after = pages.at(-1)!.cursor
      } while (pages.at(-1)!.status === 'IN_PROGRESS')
      return pages
    })()

    // A third of the way: 20 from the start, 5 after an id.
    await Promise.all(Array.from({ length: 20 }, () => join()))
    await Promise.all(midway(5, 1).map((after, i) => join(after, i % 2 ? 'query' : 'header')))
    pace.grant(100)
    await pace.drained()
    // Two thirds of the way: 15 more from the start, 10 more after an id.
    await Promise.all(Array.from({ length: 15 }, () => join()))
    await Promise.all(midway(10, 2).map((after, i) => join(after, i % 2 ? 'query' : 'header')))
    pace.grant(COUNT - pace.granted)

    const read = await Promise.all(bodies)
    expect(read).toHaveLength(50)
    const canonical = read.find((body) => body.after === 0)!.text
    expectWhole(parse(canonical), COUNT, { id, status: 'COMPLETED' })
    const frames = framesOf(canonical)
    for (const { after, text } of read) expect(text).toBe(OPENING + frames.slice(after).join(''))

    // Draining: each output returned by exactly one polled read, in order; the SSE readers drain nothing.
    const drained = await drainPages
    expect(drained.flatMap((page) => page.stream.map((item) => item.output))).toEqual(Array.from({ length: COUNT }, (_, i) => i))
    expect(drained.at(-1)?.status).toBe('COMPLETED')
    expect((await (await fetch(`${main.url}/stream/${id}`)).json()).stream).toEqual([])
    // Pages after a cursor drain nothing and see everything too.
    const paged = await cursorPages
    expect(paged.flatMap((page) => page.stream.map((item) => item.output))).toEqual(Array.from({ length: COUNT }, (_, i) => i))
    expect(paged.at(-1)!.cursor).toBe(eventsFor(COUNT) + 1)
    await expect.poll(() => worker.engine.store.jobs.readers(id, 0)).toBe(0)
  })
})

describe('readers arriving after the job ended', () => {
  /** How a job of 30 outputs ends, how many it made, and what its `done` says. */
  interface Ending {
    input: Input
    made: number
    end(pace: Credits, id: string): void | Promise<void>
    done: Record<string, unknown>
  }
  const endings: Record<string, Ending> = {
    COMPLETED: { input: { count: 30 }, made: 30, end: (pace) => pace.grant(30), done: { status: 'COMPLETED' } },
    FAILED: { input: { count: 30, fail: 'model crashed' }, made: 30, end: (pace) => pace.grant(30), done: { status: 'FAILED', error: 'model crashed' } },
    CANCELLED: {
      input: { count: 30 },
      made: 12,
      end: async (pace, id) => {
        pace.grant(12)
        await pace.drained()
        await fetch(`${main.url}/cancel/${id}`, { method: 'POST' })
      },
      done: { status: 'CANCELLED' },
    },
  }

  for (const [ending, { input, made, end, done }] of Object.entries(endings)) {
    it(`${ending}: the whole log again, exactly the events after any id (only done after the last output), 204 after done`, async () => {
      const key = `ended-${ending}`
      const id = await runJob({ ...input, key })
      const live = (await streamOf(id)).text()
      await end(creditsOf(key), id)
      const liveText = await live
      expectWhole(parse(liveText), made, { id, ...done })
      const frames = framesOf(liveText)

      // From the start: what the live reader got, byte for byte.
      expect(await (await streamOf(id)).text()).toBe(OPENING + frames.join(''))
      // After every id a reader may hold: the events after it; after `done`'s, 204 and no body.
      const last = frames.length
      for (let after = 0; after <= last; after++) {
        const response = await streamOf(id, { 'last-event-id': String(after) })
        if (after < last) {
          expect(response.status).toBe(200)
          expect(await response.text()).toBe(OPENING + frames.slice(after).join(''))
        } else {
          expect(response.status).toBe(204)
          expect(await response.text()).toBe('')
        }
      }
      // The same by query: after the last output, only `done`; after `done`, 204.
      const onlyDone = await streamOf(id, {}, `?lastEventId=${last - 1}`)
      expect(parse(await onlyDone.text()).map((event) => [event.id, event.event])).toEqual([[String(last), 'done']])
      expect((await streamOf(id, {}, `?lastEventId=${last}`)).status).toBe(204)
    })
  }

  /** Every way a reader asks for a job that is gone: 404 job_not_found, from the start or resuming. */
  async function expectGone(id: string, lastSeq: number) {
    for (const response of [
      await streamOf(id),
      await streamOf(id, { 'last-event-id': String(lastSeq) }),
      await streamOf(id, {}, `?lastEventId=${lastSeq - 1}`),
      await fetch(`${main.url}/stream/${id}`, { headers: { accept: 'application/json' } }),
      await fetch(`${main.url}/status/${id}`),
    ]) {
      expect(response.status).toBe(404)
      expect(await response.json()).toMatchObject({ code: 'job_not_found' })
    }
  }

  it('once the ttl has passed: 404 job_not_found for every reader, with or without Last-Event-ID', async () => {
    // The job existed: its stream went to `done`.
    const events = await sseReader(await postJson(`${main.url}/stream`, { input: { count: 5 }, policy: { ttl: 300 } })).rest()
    const id = JSON.parse(events.at(-1)!.data).id as string
    expectWhole(events, 5, { status: 'COMPLETED' })
    await expect.poll(async () => (await fetch(`${main.url}/status/${id}`)).status, { timeout: 5_000 }).toBe(404)
    await expectGone(id, events.length)
  })

  it('a ttl that passes while a reader follows the running job: kept until it ends, the reader gets it all, then 404', async () => {
    const key = 'ttl-while-running'
    const pace = creditsOf(key)
    const id = await runJob({ key, count: 40 }, { ttl: 200 })
    const live = (await streamOf(id)).text()
    pace.grant(10)
    await pace.drained()
    const { queuedAt } = (await worker.engine.require(id)).attempt
    await expect.poll(() => Date.now() >= queuedAt + 200, { timeout: 5_000 }).toBe(true)
    // Past its ttl, yet running: never deleted while it runs (docs/protocol.md).
    expect(await (await fetch(`${main.url}/status/${id}`)).json()).toMatchObject({ id, status: 'IN_PROGRESS' })
    pace.grant(30)
    const events = parse(await live)
    expectWhole(events, 40, { id, status: 'COMPLETED' })
    await expect.poll(async () => (await fetch(`${main.url}/status/${id}`)).status, { timeout: 5_000 }).toBe(404)
    await expectGone(id, events.length)
  })
})

/**
 * The `eventsource` package, the EventSource Node programs use, against `/stream/:id` of a real
 * edgepod server: every event once, then `done`, then one reconnect that gets 204 and stops it;
 * and a connection cut mid-stream that it resumes with Last-Event-ID, losing and doubling nothing.
 */
import { connect, createServer } from 'node:net'
import type { AddressInfo, Socket } from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import { EventSource } from 'eventsource'
import type { ErrorEvent } from 'eventsource'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { serverless } from 'edgepod'
import type { Job } from 'edgepod'
import type { NodeServer } from 'edgepod/node'
import { serveRecording } from './helpers/recording-server.ts'
import type { SeenRequest } from './helpers/recording-server.ts'

interface Input {
  mode: 'count' | 'paced'
  tag?: string
  count?: number
  delay?: number
}

/** Gates the test opens, keyed by `<tag>:<n>`. */
const gates = new Map<string, () => void>()
const gate = (key: string) => new Promise<void>((resolve) => gates.set(key, resolve))
const openGate = (key: string) => {
  const open = gates.get(key)
  if (!open) throw new Error(`no handler waits at gate ${key}`)
  open()
}

const worker = serverless.start({
  returnAggregateStream: true,
  handler: async function* (job: Job<Input>) {
    const { mode, tag = '', count = 0, delay: ms = 0 } = job.input
    if (mode === 'count') {
      for (let i = 0; i < count; i++) {
        if (i > 0 && ms > 0) await delay(ms, undefined, { signal: job.signal })
        yield i
      }
    } else {
      // 1 2 3 | gate 1 | 4 5 | gate 2 | 6
      yield 1
      yield 2
      yield 3
      await gate(`${tag}:1`)
      yield 4
      yield 5
      await gate(`${tag}:2`)
      yield 6
    }
  },
})

let server: NodeServer
let requestsTo: (path: string) => SeenRequest[]
beforeAll(async () => {
  ;({ server, requestsTo } = await serveRecording(worker))
})

const sources: EventSource[] = []
const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const source of sources.splice(0)) source.close()
  for (const cleanup of cleanups.splice(0)) await cleanup()
  for (const open of gates.values()) open()
})
afterAll(async () => {
  await server.close()
})

async function runJob(input: Input): Promise<string> {
  const response = await fetch(`${server.url}/run`, { method: 'POST', body: JSON.stringify({ input }) })
  expect(response.status).toBe(200)
  return ((await response.json()) as { id: string }).id
}

/** An EventSource with everything it reports recorded. */
function watch(url: string) {
  const source = new EventSource(url)
  sources.push(source)
  const seen = {
    source,
    outputs: [] as unknown[],
    outputIds: [] as string[],
    done: [] as { status: string; id: string }[],
    doneIds: [] as string[],
    errors: [] as { code: number | undefined; readyState: number }[],
    opens: 0,
  }
  source.addEventListener('open', () => seen.opens++)
  source.addEventListener('output', (event: MessageEvent) => {
    seen.outputs.push(JSON.parse(event.data))
    seen.outputIds.push(event.lastEventId)
  })
  source.addEventListener('done', (event: MessageEvent) => {
    seen.done.push(JSON.parse(event.data))
    seen.doneIds.push(event.lastEventId)
  })
  source.addEventListener('error', (event) => {
    seen.errors.push({ code: (event as ErrorEvent).code, readyState: source.readyState })
  })
  return seen
}

/** A TCP proxy in front of the server whose connections the test can cut. */
async function cuttingProxy(port: number) {
  const connections: { client: Socket; upstream: Socket; cut: () => void }[] = []
  const proxy = createServer((client) => {
    const upstream = connect(port, '127.0.0.1')
    const cut = () => {
      client.destroy()
      upstream.destroy()
    }
    client.pipe(upstream)
    upstream.pipe(client)
    client.on('error', cut).on('close', cut)
    upstream.on('error', cut).on('close', cut)
    connections.push({ client, upstream, cut })
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  const { port: proxyPort } = proxy.address() as AddressInfo
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const connection of connections) connection.cut()
        proxy.close(() => resolve())
      })
  )
  return { url: `http://127.0.0.1:${proxyPort}`, connections }
}

describe('the eventsource package reading /stream/:id', () => {
  it('gets every output once, then done; its reconnect after the end gets 204 and it stops', async () => {
    const id = await runJob({ mode: 'count', count: 10, delay: 20 })
    const path = `/stream/${id}`
    const es = watch(`${server.url}${path}`)

    await expect.poll(() => es.done.length, { timeout: 5_000 }).toBe(1)
    expect(es.outputs).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(es.outputIds).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'])
    expect(es.done[0]).toMatchObject({ id, status: 'COMPLETED' })
    expect(es.doneIds).toEqual(['11'])

    // The server ended the body after done; EventSource reconnects (after its default 3 s) with
    // Last-Event-ID 11, gets 204, and closes for good.
    await expect.poll(() => es.source.readyState, { timeout: 8_000 }).toBe(EventSource.CLOSED)
    expect(es.errors).toEqual([
      { code: undefined, readyState: EventSource.CONNECTING },
      { code: 204, readyState: EventSource.CLOSED },
    ])
    expect(requestsTo(path)).toMatchObject([
      { path, accept: 'text/event-stream', lastEventId: null, status: 200 },
      { path, accept: 'text/event-stream', lastEventId: '11', status: 204 },
    ])
    // Nothing was delivered twice by the reconnect.
    expect(es.outputs).toHaveLength(10)
    expect(es.done).toHaveLength(1)
    expect(es.opens).toBe(1)
  })

  it('resumes with Last-Event-ID after the connection is cut mid-stream: every output once, in order', async () => {
    const tag = 'cut'
    const id = await runJob({ mode: 'paced', tag })
    const path = `/stream/${id}`
    const proxy = await cuttingProxy(server.port)
    const es = watch(`${proxy.url}${path}`)

    await expect.poll(() => es.outputs.length).toBe(3)
    expect(proxy.connections).toHaveLength(1)
    // Drop the connection under the reader, as a crashed proxy or a lost network would.
    proxy.connections[0]!.cut()
    await expect.poll(() => es.errors.length).toBe(1)
    expect(es.errors[0]).toEqual({ code: undefined, readyState: EventSource.CONNECTING })
    // Outputs 4 and 5 happen while nobody is connected: the resumed stream must replay them.
    openGate(`${tag}:1`)

    await expect.poll(() => es.outputs.length, { timeout: 6_000 }).toBe(5)
    expect(requestsTo(path)[1]).toMatchObject({ lastEventId: '3', status: 200 })
    // Output 6 arrives live on the resumed connection.
    openGate(`${tag}:2`)
    await expect.poll(() => es.done.length).toBe(1)

    expect(es.outputs).toEqual([1, 2, 3, 4, 5, 6])
    expect(es.outputIds).toEqual(['1', '2', '3', '4', '5', '6'])
    expect(es.done[0]).toMatchObject({ id, status: 'COMPLETED' })
    expect(es.doneIds).toEqual(['7'])

    await expect.poll(() => es.source.readyState, { timeout: 8_000 }).toBe(EventSource.CLOSED)
    expect(es.errors.map((e) => e.code)).toEqual([undefined, undefined, 204])
    expect(requestsTo(path).map((r) => [r.lastEventId, r.status])).toEqual([
      [null, 200],
      ['3', 200],
      ['7', 204],
    ])
    expect(es.opens).toBe(2)
  })
})

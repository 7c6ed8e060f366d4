import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serverless } from 'edgepod'
import type { Job } from 'edgepod'
import { serve } from 'edgepod/node'
import type { NodeServer } from 'edgepod/node'
import { sseReader } from './helpers/sse-reader.ts'

/** What the handlers report back to the test, keyed by the job's input tag. */
const probes = new Map<string, { finallyRan?: boolean; release?: () => void }>()
const probe = (tag: string) => probes.get(tag) ?? (probes.set(tag, {}), probes.get(tag)!)

const worker = serverless.start({
  handler: async function* (job: Job<{ tag: string; mode: string; count?: number }>) {
    const p = probe(job.input.tag)
    try {
      if (job.input.mode === 'tokens') {
        for (let i = 0; i < (job.input.count ?? 5); i++) yield { i, token: `word${i}` }
        return
      }
      yield 'started'
      if (job.input.mode === 'awaits-signal') {
        await new Promise((_, reject) => job.signal.addEventListener('abort', () => reject(job.signal.reason)))
      } else if (job.input.mode === 'fetches') {
        // A real request tied to the job's signal: an SSE stream of a job that never ends.
        const quiet = await fetch(`${server.url}/run`, { method: 'POST', body: '{"input":{"tag":"quiet","mode":"awaits-signal"}}' })
        const { id } = await quiet.json()
        const upstream = await fetch(`${server.url}/stream/${id}`, { headers: { accept: 'text/event-stream' }, signal: job.signal })
        for await (const chunk of upstream.body!) p.release = () => chunk
      } else if (job.input.mode === 'ignores-signal') {
        await new Promise<void>((resolve) => (p.release = resolve))
      } else if (job.input.mode === 'paced') {
        for (let i = 1; i <= 6; i++) {
          if (i === 4) await new Promise<void>((resolve) => (p.release = resolve))
          yield i
        }
      }
    } finally {
      p.finallyRan = true
    }
  },
  returnAggregateStream: true,
  disconnectGrace: 0,
})

let server: NodeServer
beforeAll(async () => {
  server = await serve(worker, { port: 0 })
})
afterAll(async () => {
  await server.close()
})

const post = (path: string, body?: unknown, signal?: AbortSignal) =>
  fetch(`${server.url}${path}`, { method: 'POST', body: body === undefined ? undefined : JSON.stringify(body), signal })


describe('a real Node server', () => {
  it('streams exact SSE bytes over HTTP', async () => {
    const response = await post('/stream', { input: { tag: 'bytes', mode: 'tokens', count: 2 } })
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(response.headers.get('x-accel-buffering')).toBe('no')
    const text = await response.text()
    expect(text).toMatch(
      /^: edgepod\n\nid: 1\nevent: output\ndata: \{"i":0,"token":"word0"\}\n\nid: 2\nevent: output\ndata: \{"i":1,"token":"word1"\}\n\nid: 3\nevent: done\ndata: \{"id":"[0-9a-f-]{36}","status":"COMPLETED",[^\n]*\}\n\n$/
    )
  })

  it('resumes with Last-Event-ID while the job is still running, losing and doubling nothing', async () => {
    const { id } = await (await post('/run', { input: { tag: 'resume', mode: 'paced' } })).json()
    const disconnect = new AbortController()
    const first = sseReader(
      await fetch(`${server.url}/stream/${id}`, { headers: { accept: 'text/event-stream' }, signal: disconnect.signal })
    )
    const seen = await first.take(3)
    disconnect.abort()
    const lastId = seen.at(-1)!.id!
    const resumed = sseReader(
      await fetch(`${server.url}/v2/ep/stream/${id}`, { headers: { accept: 'text/event-stream', 'last-event-id': lastId } })
    )
    probe('resume').release!()
    const rest = await resumed.rest()
    const all = [...seen, ...rest]
    expect(all.map((e) => e.id)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8'])
    expect(all.filter((e) => e.event === 'output').map((e) => JSON.parse(e.data))).toEqual(['started', 1, 2, 3, 4, 5, 6])
    expect(JSON.parse(all.at(-1)!.data).status).toBe('COMPLETED')
    const again = await fetch(`${server.url}/stream/${id}`, { headers: { accept: 'text/event-stream', 'last-event-id': '8' } })
    expect(again.status).toBe(204)
  })

  it('cancels a handler awaiting its signal: CANCELLED, and its finally runs', async () => {
    const response = await post('/stream', { input: { tag: 'awaits', mode: 'awaits-signal' } })
    const reader = sseReader(response)
    expect((await reader.take(1))[0]?.data).toBe('"started"')
    const id = response.headers.get('x-job-id')!
    const cancelled = await (await post(`/cancel/${id}`)).json()
    expect(cancelled).toMatchObject({ id, status: 'CANCELLED' })
    const [done] = await reader.rest()
    expect(done?.event).toBe('done')
    expect(JSON.parse(done!.data)).toMatchObject({ status: 'CANCELLED' })
    await expect.poll(() => probe('awaits').finallyRan).toBe(true)
  })

  it('interrupts a fetch tied to the signal: the handler reading a live stream is stopped and its finally runs', async () => {
    const { id } = await (await post('/run', { input: { tag: 'fetching', mode: 'fetches' } })).json()
    await expect.poll(() => probe('fetching').release).toBeDefined()
    expect((await (await post(`/cancel/${id}`)).json()).status).toBe('CANCELLED')
    await expect.poll(() => probe('fetching').finallyRan).toBe(true)
  })

  it('cancels a handler stuck in an await that ignores its signal: CANCELLED at once, with its output', async () => {
    const { id } = await (await post('/run', { input: { tag: 'stuck', mode: 'ignores-signal' } })).json()
    await expect.poll(async () => (await (await fetch(`${server.url}/status/${id}`)).json()).output).toEqual(['started'])
    const cancelled = await (await post(`/cancel/${id}`)).json()
    expect(cancelled.status).toBe('CANCELLED')
    const status = await (await fetch(`${server.url}/status/${id}`)).json()
    expect(status).toMatchObject({ status: 'CANCELLED', output: ['started'] })
    expect(probe('stuck').finallyRan).toBeUndefined()
    probe('stuck').release!()
    await expect.poll(() => probe('stuck').finallyRan).toBe(true)
  })

  it('stops a POST /stream handler when its client disconnects (grace 0 here)', async () => {
    const disconnect = new AbortController()
    const response = await post('/stream', { input: { tag: 'gone', mode: 'awaits-signal' } }, disconnect.signal)
    const id = response.headers.get('x-job-id')!
    await sseReader(response).take(1)
    disconnect.abort()
    await expect.poll(() => probe('gone').finallyRan).toBe(true)
    const status = await (await fetch(`${server.url}/status/${id}`)).json()
    expect(status).toMatchObject({ status: 'CANCELLED', output: ['started'], error: 'cancelled: no reader for 0 ms' })
  })

  it('answers /runsync with exactly what the stream delivered', async () => {
    const input = { tag: 'same', mode: 'tokens', count: 500 }
    const streamed = await sseReader(await post('/stream', { input })).rest()
    const outputs = streamed.filter((e) => e.event === 'output').map((e) => JSON.parse(e.data))
    const sync = await (await post('/runsync', { input })).json()
    expect(outputs).toHaveLength(500)
    expect(sync.output).toEqual(outputs)
  })
})

import { afterEach, describe, expect, it, vi } from 'vitest'
import { FakeLog } from '../../../test/helpers/fake-log.ts'
import { MAX_CHUNK_CHARS } from './chunk.ts'
import { sseStreamOf, UNREACHABLE_RETRY_MS } from './stream.ts'
import type { SSEStreamOptions } from './stream.ts'

const decoder = new TextDecoder()
const frame = (seq: number, type: string, json: string) => `id: ${seq}\nevent: ${type}\ndata: ${json}\n\n`
const outputFrames = (from: number, count: number) => Array.from({ length: count }, (_, k) => frame(from + k, 'output', `{"i":${from + k - 1}}`)).join('')

/** Opens a stream of `log` with presence counted, and a reader of its chunks as text. */
function open(log: FakeLog, options: Partial<SSEStreamOptions> = {}) {
  const presence = { opened: 0, closed: 0 }
  const stream = sseStreamOf(log, {
    after: 0,
    keepAlive: 15_000,
    onOpen: () => presence.opened++,
    onClose: () => presence.closed++,
    ...options,
  })
  const reader = stream.getReader()
  const next = async () => {
    const { done, value } = await reader.read()
    return done ? undefined : decoder.decode(value)
  }
  /** Every chunk until the end. */
  const rest = async () => {
    const chunks: string[] = []
    for (let chunk = await next(); chunk !== undefined; chunk = await next()) chunks.push(chunk)
    return chunks
  }
  return { reader, next, rest, presence }
}

afterEach(() => {
  vi.useRealTimers()
})

describe.each([false, true])('an SSE stream over a job log (reads answered %s)', (async) => {
  const asyncName = async ? 'as promises' : 'at once'
  const logOf = () => new FakeLog({ async })

  it(`replays a whole ended log in one chunk after the opening comment, then ends (${asyncName})`, async () => {
    const log = logOf().outputs(3).end()
    const { rest, presence } = open(log)
    expect(await rest()).toEqual([': edgepod\n\n', `${outputFrames(1, 3)}${frame(4, 'done', '{"status":"COMPLETED"}')}`])
    expect(presence).toEqual({ opened: 1, closed: 1 })
    expect(log.watching).toBe(0)
  })

  it('resumes after the reader’s last id: nothing before it, nothing twice', async () => {
    const log = logOf().outputs(5).end()
    const { rest } = open(log, { after: 3 })
    expect((await rest()).join('')).toBe(`: edgepod\n\n${outputFrames(4, 2)}${frame(6, 'done', '{"status":"COMPLETED"}')}`)
  })

  it('follows live events: one chunk for what is there, then one for each later append', async () => {
    const log = logOf().outputs(2)
    const { next, presence } = open(log)
    expect(await next()).toBe(': edgepod\n\n')
    expect(await next()).toBe(outputFrames(1, 2))
    const pending = next()
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(log.watching).toBe(1)
    log.outputs(1, 2)
    expect(await pending).toBe(outputFrames(3, 1))
    const last = next()
    setTimeout(() => log.end('FAILED'), 5)
    expect(await last).toBe(frame(4, 'done', '{"status":"FAILED"}'))
    expect(await next()).toBeUndefined()
    expect(presence.closed).toBe(1)
    expect(log.watching).toBe(0)
  })

  it('gathers events appended within a few microtasks into one chunk, and no more than a chunk holds', async () => {
    const log = logOf()
    const { next } = open(log)
    expect(await next()).toBe(': edgepod\n\n')
    const pending = next()
    await new Promise((resolve) => setTimeout(resolve, 5))
    // A producer with values at hand appends one every microtask turn or two.
    for (let k = 0; k < 20; k++) {
      log.outputs(1, k)
      await undefined
    }
    expect(await pending).toBe(outputFrames(1, 20))
    // A stream far larger than a chunk goes out in chunks of at most a chunk and one frame.
    const big = `"${'x'.repeat(1000)}"`
    for (let k = 0; k < 200; k++) log.append('output', big)
    log.end()
    let text = ''
    for (let chunk = await next(); chunk !== undefined; chunk = await next()) {
      expect(chunk.length).toBeLessThan(MAX_CHUNK_CHARS + 1100)
      text += chunk
    }
    expect(text.match(/event: output/g)).toHaveLength(200)
    expect(text.endsWith(frame(221, 'done', '{"status":"COMPLETED"}'))).toBe(true)
  })

  it('pings after exactly the keep-alive interval of quiet, and lets go of its watch each time', async () => {
    vi.useFakeTimers()
    const log = logOf().outputs(1)
    const { next, reader } = open(log, { keepAlive: 1_000 })
    expect(await next()).toBe(': edgepod\n\n')
    expect(await next()).toBe(outputFrames(1, 1))
    let pinged: string | undefined
    void next().then((chunk) => (pinged = chunk))
    await vi.advanceTimersByTimeAsync(999)
    expect(pinged).toBeUndefined()
    expect(log.watching).toBe(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(pinged).toBe(': ping\n\n')
    // The ping ended the wait: its watch is gone with it, not left for the next append.
    expect(log.watching).toBe(0)
    const again = next()
    await vi.advanceTimersByTimeAsync(1_000)
    expect(await again).toBe(': ping\n\n')
    await reader.cancel()
    expect(log.watching).toBe(0)
  })

  it('never pings a stream that keeps sending', async () => {
    vi.useFakeTimers()
    const log = logOf()
    const { next } = open(log, { keepAlive: 1_000 })
    expect(await next()).toBe(': edgepod\n\n')
    for (let k = 0; k < 5; k++) {
      const pending = next()
      await vi.advanceTimersByTimeAsync(900)
      log.outputs(1, k)
      expect(await pending).toBe(outputFrames(k + 1, 1))
    }
  })

  it('ends a reader whose cursor is past the end of an ended log with nothing more, and one past a running log when it ends', async () => {
    const ended = logOf().outputs(2).end()
    expect(await open(ended, { after: 9 }).rest()).toEqual([': edgepod\n\n'])
    const running = logOf().outputs(2)
    const ahead = open(running, { after: 5 })
    const chunks = ahead.rest()
    await new Promise((resolve) => setTimeout(resolve, 5))
    running.outputs(2, 2)
    running.outputs(1, 4)
    running.end()
    expect((await chunks).join('')).toBe(`: edgepod\n\n${frame(6, 'done', '{"status":"COMPLETED"}')}`)
  })

  it('stops when its reader cancels: presence told once, no watch held, no ping later', async () => {
    vi.useFakeTimers()
    const log = logOf()
    const { next, reader, presence } = open(log, { keepAlive: 1_000 })
    expect(await next()).toBe(': edgepod\n\n')
    const pending = next()
    await vi.advanceTimersByTimeAsync(10)
    expect(log.watching).toBe(1)
    await reader.cancel()
    expect(await pending).toBeUndefined()
    expect(presence).toEqual({ opened: 1, closed: 1 })
    expect(log.watching).toBe(0)
    const reads = log.reads
    await vi.advanceTimersByTimeAsync(10_000)
    expect(log.reads).toBe(reads)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('ends when the job is deleted while it waits', async () => {
    const log = logOf().outputs(1)
    const { rest, presence } = open(log)
    const chunks = rest()
    await new Promise((resolve) => setTimeout(resolve, 5))
    log.delete()
    expect(await chunks).toEqual([': edgepod\n\n', outputFrames(1, 1)])
    expect(presence.closed).toBe(1)
  })
})

describe('an SSE stream over a store that cannot be reached for a while', () => {
  it('keeps its reader through the outage, pinged, and sends what it missed once the store answers', async () => {
    vi.useFakeTimers()
    const log = new FakeLog({ async: true }).outputs(2)
    log.unreachable = true
    const { next, presence } = open(log, { keepAlive: 1_000 })
    expect(await next()).toBe(': edgepod\n\n')
    const ping = next()
    await vi.advanceTimersByTimeAsync(1_000)
    expect(await ping).toBe(': ping\n\n')
    // Read again every UNREACHABLE_RETRY_MS meanwhile, not in a busy loop.
    expect(log.reads).toBe(1_000 / UNREACHABLE_RETRY_MS + 1)
    log.unreachable = false
    const missed = next()
    await vi.advanceTimersByTimeAsync(UNREACHABLE_RETRY_MS)
    expect(await missed).toBe(outputFrames(1, 2))
    log.end()
    expect(await next()).toBe(frame(3, 'done', '{"status":"COMPLETED"}'))
    expect(await next()).toBeUndefined()
    expect(presence).toEqual({ opened: 1, closed: 1 })
  })

  it('fails its body on any other error of a read, as before', async () => {
    const log = new FakeLog({ async: true }).outputs(1)
    log.read = () => Promise.reject(new Error('a bug in the store'))
    const { next } = open(log)
    expect(await next()).toBe(': edgepod\n\n')
    await expect(next()).rejects.toThrow('a bug in the store')
  })
})

import { describe, expect, it } from 'vitest'
import { memoryStore } from '../store/memory/memory-store.ts'
import type { Store } from '../store/store.ts'
import type { EventBatch, LogEventType } from '../store/job-state.ts'
import { recentLogsJson } from './log-view.ts'

const line = (n: number) => `{"message":"line ${n}","level":"info","time":${1000 + n}}`

/** A running job of a fresh memory store whose log holds `events`, in order. */
async function jobWith(events: [Exclude<LogEventType, 'done'>, string][], store: Store = memoryStore()) {
  const id = `job-${Math.random().toString(36).slice(2)}`
  await store.jobs.create({ id, request: { input: null }, origin: 'run', queuedAt: 0, ttl: 60_000, executionTimeout: 60_000, keep: 60_000 })
  await store.dispatcher.enqueue({ id, attempt: 1, lowPriority: false }, Infinity)
  const [lease] = await store.dispatcher.claim(1)
  const writer = (await store.jobs.start(lease!, 'w', 0))!
  const batch: EventBatch = { types: events.map(([type]) => type), jsons: events.map(([, json]) => json) }
  if (events.length > 0) await writer.append(batch)
  return { store, writer, job: (await store.jobs.get(id))! }
}

const parse = (members: string) => JSON.parse(`{${members}}`) as { logs: { message: string; seq: number }[]; logsDropped?: number }

describe('the recent log lines of a status object', () => {
  it('are every line, oldest first, each with its seq, and no logsDropped when none was left out', async () => {
    const { store, job } = await jobWith([['log', line(1)], ['output', '"a"'], ['progress', '5'], ['log', line(2)]])
    const members = await recentLogsJson(store.jobs, job, 100)
    expect(members).toBe(`"logs":[{"message":"line 1","level":"info","time":1001,"seq":1},{"message":"line 2","level":"info","time":1002,"seq":4}]`)
  })

  it('are an empty list for a job that logged nothing', async () => {
    const { store, job } = await jobWith([['output', '"a"']])
    expect(await recentLogsJson(store.jobs, job, 100)).toBe('"logs":[]')
  })

  it('are the most recent `max`, and logsDropped counts the older ones, read a page at a time or all at once', async () => {
    const events: [('output' | 'log'), string][] = []
    for (let n = 1; n <= 250; n++) events.push(['log', line(n)], ['output', String(n)])
    const { store, job } = await jobWith(events)
    for (const pageChars of [1, 64, 10_000, 1_000_000]) {
      const recent = parse(await recentLogsJson(store.jobs, job, 100, pageChars))
      expect(recent.logs.map((entry) => entry.message)).toEqual(Array.from({ length: 100 }, (_, k) => `line ${151 + k}`))
      expect(recent.logs.map((entry) => entry.seq)).toEqual(Array.from({ length: 100 }, (_, k) => 2 * (151 + k) - 1))
      expect(recent.logsDropped).toBe(150)
    }
    expect(parse(await recentLogsJson(store.jobs, job, 0))).toEqual({ logs: [], logsDropped: 250 })
  })

  it("are the current attempt's only, after a retry", async () => {
    const { store, writer, job } = await jobWith([['log', line(1)]])
    await writer.finish({ status: 'FAILED', finishedAt: 1, error: { type: 'Error', message: 'x' } })
    const retried = (await store.jobs.retry(job.id, 1, 2))!
    expect(await recentLogsJson(store.jobs, retried, 100)).toBe('"logs":[]')
  })
})

import { describe, expect, it } from 'vitest'
import { start } from '../../serverless.ts'
import { statusJsonOf } from '../../store/status-json.ts'
import type { Job } from '../../types.ts'
import { DEFAULTS, STATUS_LOGS } from '../../limits.ts'

const get = (path: string) => new Request(`http://edgepod.test${path}`)
const post = (path: string, body: unknown) => new Request(`http://edgepod.test${path}`, { method: 'POST', body: JSON.stringify(body) })

/** A worker that logs `count` lines around its outputs, and reports progress. */
const worker = start({
  returnAggregateStream: true,
  handler: async function* (job: Job<{ count: number }>) {
    job.progress({ step: 0 })
    for (let i = 0; i < job.input.count; i++) {
      job.log(`line ${i}`, i % 2 ? 'debug' : 'info')
      yield i
    }
  },
})

async function ranJob(count: number): Promise<string> {
  const { id } = (await (await worker.fetch(post('/runsync', { input: { count } }))).json()) as { id: string }
  return id
}

describe('/status/:id?logs=1', () => {
  it('leaves /status without it byte for byte as it was, and ?logs=0 or false the same', async () => {
    const id = await ranJob(3)
    const plain = await (await worker.fetch(get(`/status/${id}`))).text()
    // What /status answered before logs existed: the status object as statusJsonOf makes it.
    const job = (await worker.engine.get(id))!
    expect(plain).toBe(statusJsonOf(job, '[0,1,2]', 0))
    expect(plain).not.toContain('logs')
    for (const off of ['0', 'false', '']) expect(await (await worker.fetch(get(`/status/${id}?logs=${off}`))).text()).toBe(plain)
  })

  it('adds logs after the members of the status object, which are otherwise the same bytes', async () => {
    const id = await ranJob(3)
    const plain = await (await worker.fetch(get(`/status/${id}`))).text()
    const withLogs = await (await worker.fetch(get(`/status/${id}?logs=1`))).text()
    const logs = withLogs.slice(plain.length - 1, -1)
    expect(withLogs).toBe(plain.slice(0, -1) + logs + '}')
    expect(JSON.parse(withLogs).logs).toEqual([
      { message: 'line 0', level: 'info', time: expect.any(Number), seq: 2 },
      { message: 'line 1', level: 'debug', time: expect.any(Number), seq: 4 },
      { message: 'line 2', level: 'info', time: expect.any(Number), seq: 6 },
    ])
    expect(JSON.parse(withLogs)).not.toHaveProperty('logsDropped')
    expect(await (await worker.fetch(get(`/status/${id}?logs=true`))).text()).toBe(withLogs)
  })

  it(`keeps the last ${STATUS_LOGS} lines and says how many older ones it dropped; /status-sync takes it too`, async () => {
    const id = await ranJob(STATUS_LOGS + 7)
    const status = (await (await worker.fetch(get(`/status-sync/${id}?logs=1`))).json()) as { logs: { message: string }[]; logsDropped: number }
    expect(status.logs).toHaveLength(STATUS_LOGS)
    expect(status.logs[0]!.message).toBe('line 7')
    expect(status.logs.at(-1)!.message).toBe(`line ${STATUS_LOGS + 6}`)
    expect(status.logsDropped).toBe(7)
    const plainSync = await (await worker.fetch(get(`/status-sync/${id}`))).text()
    expect(plainSync).toBe(await (await worker.fetch(get(`/status/${id}`))).text())
  })

  it('refuses a logs value that is not a flag, naming it', async () => {
    const id = await ranJob(1)
    const response = await worker.fetch(get(`/status/${id}?logs=yes`))
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({ error: 'logs must be 1, true, 0 or false, got "yes"', code: 'invalid_input' })
  })
})

describe('request body limits, as RunPod’s', () => {
  it('takes up to maxSyncBodyBytes on /runsync (20 MB by default) and maxBodyBytes elsewhere (10 MB), each refusal naming its option', async () => {
    const worker = start({ handler: (job: { input: string }) => job.input.length, maxBodyBytes: 1_000, maxSyncBodyBytes: 2_000 })
    const body = JSON.stringify({ input: 'x'.repeat(1_500) })
    const sync = await worker.fetch(new Request('http://x/runsync', { method: 'POST', body }))
    expect(await sync.json()).toMatchObject({ status: 'COMPLETED', output: 1_500 })
    const run = await worker.fetch(new Request('http://x/run', { method: 'POST', body }))
    expect([run.status, (await run.json()).error]).toEqual([413, expect.stringContaining("the worker's maxBodyBytes option raises it")])
    const tooBig = await worker.fetch(new Request('http://x/runsync', { method: 'POST', body: JSON.stringify({ input: 'x'.repeat(2_500) }) }))
    expect([tooBig.status, (await tooBig.json()).error]).toEqual([413, expect.stringContaining("the worker's maxSyncBodyBytes option raises it")])
    expect(DEFAULTS.maxSyncBodyBytes).toBe(2 * DEFAULTS.maxBodyBytes)
  })
})

import { describe, expect, it, vi } from 'vitest'
import { HandlerJob } from './handler-job.ts'

function jobWith(input: unknown = { list: [1] }) {
  const run = { reads: 0, controller: new AbortController(), get signal() { this.reads++; return this.controller.signal } }
  const sink = { progress: vi.fn(), log: vi.fn() }
  const upload = vi.fn(async () => ({ url: 'https://files/x', size: 1, contentType: 'text/plain' }))
  const files = vi.fn(() => ({ upload }))
  const request = { input, webhook: 'https://hook', policy: { ttl: 5 }, s3Config: undefined }
  const job = new HandlerJob('job-1', request, { env: { KEY: 'v' }, executionCtx: undefined }, run, sink, files)
  return { job, run, sink, files, upload, request }
}

describe('HandlerJob', () => {
  it('carries the request, a copy of its input, and the context', () => {
    const { job, request } = jobWith()
    expect(job.id).toBe('job-1')
    expect(job.input).toEqual({ list: [1] })
    expect(job.input).not.toBe(request.input)
    expect([job.webhook, job.policy, job.s3Config, job.env, job.executionCtx]).toEqual(['https://hook', { ttl: 5 }, undefined, { KEY: 'v' }, undefined])
  })

  it('reads the signal only when the handler does, and every time from the run', () => {
    const { job, run } = jobWith()
    expect(run.reads).toBe(0)
    expect(job.signal.aborted).toBe(false)
    run.controller.abort()
    expect(job.signal.aborted).toBe(true)
    expect(run.reads).toBe(2)
    const { signal } = job
    expect(signal).toBe(run.controller.signal)
  })

  it('lets progress, log and upload be passed on unbound', async () => {
    const { job, sink, files, upload } = jobWith()
    const { progress, log, upload: put } = job
    progress(0.5)
    log('hello', 'warn')
    expect(sink.progress).toHaveBeenCalledWith(0.5)
    expect(sink.log).toHaveBeenCalledWith('hello', 'warn')
    expect(files).not.toHaveBeenCalled()
    await expect(put('body', { name: 'a.txt' })).resolves.toEqual({ url: 'https://files/x', size: 1, contentType: 'text/plain' })
    expect(upload).toHaveBeenCalledWith('body', { name: 'a.txt' })
  })

  it('carries signal as its own enumerable member: a spread, Object.assign, a proxy or a derived object still has it', () => {
    const { job, run } = jobWith()
    expect(Object.keys(job)).toEqual(['id', 'input', 'webhook', 'policy', 's3Config', 'signal', 'progress', 'log', 'upload', 'env', 'executionCtx'])
    expect({ ...job, input: 'parsed' }.signal).toBe(run.controller.signal)
    expect(Object.assign({}, job).signal).toBe(run.controller.signal)
    expect(new Proxy(job, {}).signal).toBe(run.controller.signal)
    expect((Object.create(job) as typeof job).signal).toBe(run.controller.signal)
  })

  it('is made even when its input cannot be copied: a getter that throws', () => {
    const input = {
      get broken(): never {
        throw new Error('no')
      },
    }
    const { job } = jobWith(input)
    expect(job.input).toBe(input)
  })
})

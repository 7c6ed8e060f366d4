import { afterEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { serverless as cloudflare } from './adapter/cloudflare-workers/index.ts'
import type { WorkerConfig } from './config.ts'
import { resolveConfig } from './config.ts'
import { memoryStore } from './store/memory/memory-store.ts'
import { start } from './serverless.ts'

const handler = () => 'ok'
/** A config as plain JavaScript would pass it: no excess-property check to catch a typo first. */
const untyped = (config: Record<string, unknown>) => config as unknown as WorkerConfig

afterEach(() => {
  vi.restoreAllMocks()
})

describe('an unknown key is refused at start-up', () => {
  it('names the nearest option: a typo must not silently turn an option off', () => {
    expect(() => start(untyped({ handler, returnAggregatedStream: true }))).toThrow(
      new TypeError('edgepod: serverless.start has no option "returnAggregatedStream"; did you mean "returnAggregateStream"?')
    )
    expect(() => start(untyped({ handler, maxQeue: 5 }))).toThrow('did you mean "maxQueue"?')
    expect(() => start(untyped({ handler, webhook: { attempts: 1 } }))).toThrow('did you mean "webhooks"?')
  })

  it('sets case and separators aside, and keeps the spelling style of the key it was given', () => {
    expect(() => resolveConfig(untyped({ handler, max_body_bytes: 1 }))).toThrow('has no option "max_body_bytes"; did you mean "maxBodyBytes"?')
    expect(() => resolveConfig(untyped({ handler, apikey: 'k' }))).toThrow('did you mean "apiKey"?')
    expect(() => resolveConfig(untyped({ handler, return_aggregate_streams: true }))).toThrow('did you mean "return_aggregate_stream"?')
    expect(() => resolveConfig(untyped({ handler, returnAggregateStreams: true }))).toThrow('did you mean "returnAggregateStream"?')
  })

  it('answers a mistyped handler with its name, not with "needs a handler"', () => {
    expect(() => start(untyped({ handlr: handler }))).toThrow('edgepod: serverless.start has no option "handlr"; did you mean "handler"?')
  })

  it('lists the options when no key is near enough to be meant', () => {
    const error = (() => {
      try {
        start(untyped({ handler, port: 8000 }))
      } catch (caught) {
        return caught as TypeError
      }
      throw new Error('expected a TypeError')
    })()
    expect(error).toBeInstanceOf(TypeError)
    expect(error.message).toMatch(/^edgepod: serverless\.start has no option "port"; its options are handler, /)
    expect(error.message).toContain('returnAggregateStream, return_aggregate_stream,')
    // RunPod's ignored keys are accepted, not offered; its keys that edgepod honours are.
    expect(error.message).not.toContain('rp_args')
    expect(error.message).toContain('refreshWorker, refresh_worker')
  })

  it("refuses another entry point's option on the core's start, and offers it for a typo", () => {
    expect(() => resolveConfig(untyped({ handler, durableObject: 'EDGEPOD_JOBS' }))).toThrow(
      "edgepod: durableObject is an option of edgepod/cloudflare-workers: import { serverless } from 'edgepod/cloudflare-workers'"
    )
    expect(() => start(untyped({ handler, durable_object: 'EDGEPOD_JOBS' }))).toThrow(
      'edgepod: serverless.start has no option "durable_object"; did you mean "durableObject" (an option of edgepod/cloudflare-workers)?'
    )
  })
})

describe('every real option is known', () => {
  it("starts a worker with every option of WorkerConfig set, and warns about none", () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const config = {
      handler,
      setup: () => {},
      schema: z.object({ prompt: z.string() }),
      returnAggregateStream: true,
      return_aggregate_stream: true,
      aggregate: 'concat',
      maxEventBytes: 1024,
      maxResultBytes: 4096,
      webhooks: { attempts: 1 },
      concurrencyModifier: 2,
      concurrency_modifier: 2,
      executionTimeout: 1000,
      ttl: 1000,
      disconnectGrace: 0,
      keepAlive: 1000,
      cleanupTimeout: 10,
      maxBodyBytes: 1024,
      streamPollWait: 0,
      apiKey: 'key',
      maxQueue: 10,
      cors: { origin: '*' },
      exposeErrorStack: false,
      workerId: 'worker-1',
      store: memoryStore(),
      refreshWorker: false,
      refresh_worker: false,
    } satisfies WorkerConfig
    expect(() => start(config)).not.toThrow()
    expect(warn).not.toHaveBeenCalled()
  })

  it("takes durableObject on edgepod/cloudflare-workers' start", () => {
    expect(() => cloudflare.start({ handler, durableObject: 'EDGEPOD_JOBS' })).not.toThrow()
    expect(() => cloudflare.start({ handler, durableObject: undefined })).not.toThrow()
  })
})

describe("RunPod's keys that edgepod ignores", () => {
  it('are accepted with one warning per key per process, saying why', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    start({ handler, reference_counter_start: 1 })
    start({ handler, reference_counter_start: 2, return_aggregate_stream: true })
    expect(warn.mock.calls).toEqual([["edgepod: serverless.start ignores RunPod's reference_counter_start: it is internal to RunPod's debugger"]])
    resolveConfig({ handler, rp_args: { test_input: '{}' }, jobs_fetcher: () => [] })
    expect(warn.mock.calls.slice(1)).toEqual([
      [
        "edgepod: serverless.start ignores RunPod's rp_args: RunPod's start fills it in from its command-line flags, which edgepod reads itself when the worker file is run (`tsx worker.ts --rp_serve_api`)",
      ],
      ["edgepod: serverless.start ignores RunPod's jobs_fetcher: it is a test hook of RunPod's job-taking loop; edgepod's jobs come through its routes"],
    ])
    resolveConfig({ handler, rp_args: {}, jobs_fetcher: undefined, reference_counter_start: 3 })
    expect(warn).toHaveBeenCalledTimes(3)
  })

  it('say nothing for a key left undefined', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    resolveConfig({ handler, stop_signals_fetcher: undefined })
    expect(warn).not.toHaveBeenCalled()
    resolveConfig({ handler, stop_signals_fetcher: () => [] })
    expect(warn).toHaveBeenCalledTimes(1)
  })
})

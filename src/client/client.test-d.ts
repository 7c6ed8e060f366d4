/**
 * The client's types against what the server really sends: a request's `input` is the schema's
 * input type (defaults optional), a status object's `output` is the handler's result under the
 * worker's aggregation, and a stream yields one output. Each expected type here is what
 * src/engine (output-view.ts, job-sink.ts) puts on the wire for that config.
 */
import { type } from 'arktype'
import * as v from 'valibot'
import { describe, expectTypeOf, test } from 'vitest'
import { z } from 'zod'
import { serverless as cloudflare } from '../adapter/cloudflare-workers/index.ts'
import { serverless } from '../index.ts'
import type { Job, Worker } from '../index.ts'
import { createClient } from './index.ts'
import type { ClientOf, EdgepodClient, InputOf, JobLog, JobLogEntry, JobRequest, JobStatusObject, JobStream, LogLevel, OutputOf, ResultOf } from './index.ts'

const baseUrl = 'http://127.0.0.1:8000'

/** A streaming handler of strings, the worker's config deciding what its `output` is. */
async function* tokens(): AsyncGenerator<string, void, undefined> {
  yield 'Hello, '
  yield 'world'
}

describe('the input a client sends is the schema input type, the handler gets its output type', () => {
  test('zod: a field with a default is optional to the caller, and present in job.input', () => {
    const worker = serverless.start({
      schema: z.object({ prompt: z.string(), maxTokens: z.number().default(256) }),
      handler: async function* (job) {
        expectTypeOf(job.input).toEqualTypeOf<{ prompt: string; maxTokens: number }>()
        yield job.input.prompt.slice(0, job.input.maxTokens)
      },
    })
    expectTypeOf<InputOf<typeof worker>>().toEqualTypeOf<{ prompt: string; maxTokens?: number | undefined }>()
    // @ts-expect-error the client's input is the schema's input type, where maxTokens is optional
    expectTypeOf<InputOf<typeof worker>>().toEqualTypeOf<{ prompt: string; maxTokens: number }>()

    const client = createClient<typeof worker>({ baseUrl })
    void client.run({ input: { prompt: 'hi' } })
    void client.runSync({ input: { prompt: 'hi' } }, { wait: 1000 })
    void client.run({ input: { prompt: 'hi', maxTokens: 16 } })
    expectTypeOf(client.stream({ input: { prompt: 'hi' } })).toEqualTypeOf<JobStream<string>>()
    // @ts-expect-error prompt is required
    void client.run({ input: {} })
    // @ts-expect-error prompt is required
    void client.runSync({ input: { maxTokens: 16 } })
    // @ts-expect-error prompt is required
    void client.stream({ input: {} })
    // @ts-expect-error maxTokens is a number
    void client.run({ input: { prompt: 'hi', maxTokens: '16' } })
  })

  test('zod: a transform takes its input type on the client and its output type in the handler', () => {
    const worker = serverless.start({
      schema: z.object({ words: z.string().transform((text) => text.split(' ')) }),
      handler: (job) => {
        expectTypeOf(job.input).toEqualTypeOf<{ words: string[] }>()
        return job.input.words.length
      },
    })
    expectTypeOf<InputOf<typeof worker>>().toEqualTypeOf<{ words: string }>()
    const client = createClient<typeof worker>({ baseUrl })
    void client.run({ input: { words: 'a b c' } })
    // @ts-expect-error the client sends the text, the schema splits it
    void client.run({ input: { words: ['a', 'b', 'c'] } })
  })

  test('valibot: optional, and optional with a default', () => {
    const worker = serverless.start({
      schema: v.object({ prompt: v.string(), tag: v.optional(v.string()), count: v.optional(v.number(), 5) }),
      handler: (job) => {
        expectTypeOf(job.input).toEqualTypeOf<{ prompt: string; tag?: string | undefined; count: number }>()
      },
    })
    expectTypeOf<InputOf<typeof worker>>().toEqualTypeOf<{ prompt: string; tag?: string | undefined; count?: number | undefined }>()
    const client = createClient<typeof worker>({ baseUrl })
    void client.run({ input: { prompt: 'hi' } })
    void client.stream({ input: { prompt: 'hi', count: 2 } })
    // @ts-expect-error prompt is required
    void client.runSync({ input: { count: 2 } })
  })

  test('arktype: optional, and a default', () => {
    const worker = serverless.start({
      schema: type({ prompt: 'string', 'tag?': 'string', count: 'number = 5' }),
      handler: (job) => {
        expectTypeOf(job.input.count).toEqualTypeOf<number>()
        expectTypeOf(job.input.tag).toEqualTypeOf<string | undefined>()
      },
    })
    expectTypeOf<InputOf<typeof worker>['count']>().toEqualTypeOf<number | undefined>()
    const client = createClient<typeof worker>({ baseUrl })
    void client.run({ input: { prompt: 'hi' } })
    void client.runSync({ input: { prompt: 'hi', tag: 'a', count: 1 } })
    // @ts-expect-error prompt is required
    void client.run({ input: { tag: 'a' } })
    // @ts-expect-error count is a number
    void client.stream({ input: { prompt: 'hi', count: 'five' } })
  })

  test('without a schema: the handler annotation, else any', () => {
    const annotated = serverless.start({ handler: (job: Job<{ n: number }>) => job.input.n })
    expectTypeOf<InputOf<typeof annotated>>().toEqualTypeOf<{ n: number }>()
    // @ts-expect-error n is required
    void createClient<typeof annotated>({ baseUrl }).run({ input: {} })

    const loose = serverless.start({ handler: (job) => String(job.input) })
    expectTypeOf<InputOf<typeof loose>>().toBeAny()
    void createClient<typeof loose>({ baseUrl }).run({ input: { anything: true } })
  })
})

describe('run, runSync and stream take one job request, as RunPod\'s JS SDK does', () => {
  const worker = serverless.start({ schema: z.object({ prompt: z.string() }), handler: tokens })
  const client = createClient<typeof worker>({ baseUrl })

  test('the same JobRequest, its input typed from the worker', () => {
    expectTypeOf(client.run).parameter(0).toEqualTypeOf<JobRequest<{ prompt: string }>>()
    expectTypeOf(client.runSync).parameter(0).toEqualTypeOf<JobRequest<{ prompt: string }>>()
    expectTypeOf(client.stream).parameter(0).toEqualTypeOf<string | JobRequest<{ prompt: string }>>()
    const request = { input: { prompt: 'hi' }, webhook: 'https://example.com/hook', policy: { executionTimeout: 1000, lowPriority: true }, s3Config: {} }
    void client.run(request)
    void client.runSync(request, { wait: 1000 })
    void client.stream(request, { poll: true })
  })

  test('a bare input is a type error, not a request whose input is nested', () => {
    // @ts-expect-error the input goes in { input }
    void client.run({ prompt: 'hi' })
    // @ts-expect-error the input goes in { input }
    void client.runSync({ prompt: 'hi' })
    // @ts-expect-error the input goes in { input }
    void client.stream({ prompt: 'hi' })
    // @ts-expect-error a string is a job id for stream alone
    void client.run('hi')
    const untyped = createClient({ baseUrl })
    // @ts-expect-error untyped, the request still needs its input
    void untyped.run({ prompt: 'hi' })
    // @ts-expect-error the request's fields are not options
    void client.run({ input: { prompt: 'hi' } }, { webhook: 'https://example.com/hook' })
    // @ts-expect-error the request's fields are not options
    void client.runSync({ input: { prompt: 'hi' } }, { policy: { ttl: 1000 } })
  })
})

describe('runSync, status and cancel answer the job result type', () => {
  test('a plain handler: what it returns, awaited', () => {
    const worker = serverless.start({ handler: async (job: Job<{ n: number }>) => ({ doubled: job.input.n * 2 }) })
    type Status = JobStatusObject<{ doubled: number }>
    expectTypeOf<ResultOf<typeof worker>>().toEqualTypeOf<{ doubled: number }>()
    const client = createClient<typeof worker>({ baseUrl })
    expectTypeOf(client.runSync({ input: { n: 1 } })).resolves.toEqualTypeOf<Status>()
    expectTypeOf(client.status('id')).resolves.toEqualTypeOf<Status>()
    expectTypeOf(client.cancel('id')).resolves.toEqualTypeOf<Status>()
    // The job's one output is the same value.
    expectTypeOf(client.stream('id')).toEqualTypeOf<JobStream<{ doubled: number }>>()
    // @ts-expect-error the output is an object, not a number
    expectTypeOf(client.status('id')).resolves.toEqualTypeOf<JobStatusObject<number>>()
  })

  test('a plain handler: RunPod error keys are not in the output, nor is nothing', () => {
    const worker = serverless.start({
      handler: async (job: Job<{ text?: string }>) => {
        if (job.input.text === undefined) return { error: 'text is required' }
        return { text: job.input.text.toUpperCase(), refresh_worker: false }
      },
    })
    // `{error}` fails the job with no output; `refresh_worker` is taken out of the output.
    expectTypeOf<ResultOf<typeof worker>>().toEqualTypeOf<{ text: string } | undefined>()
    expectTypeOf<OutputOf<typeof worker>>().toEqualTypeOf<{ text: string }>()

    const nothing = serverless.start({ handler: () => {} })
    expectTypeOf<ResultOf<typeof nothing>>().toEqualTypeOf<undefined>()
  })

  test('a plain handler returning an array: the array, whatever the aggregation', () => {
    const worker = serverless.start({ handler: () => [1, 2, 3], aggregate: 'concat' })
    expectTypeOf<ResultOf<typeof worker>>().toEqualTypeOf<number[]>()
  })

  test('no aggregation: RunPod answers an empty array', () => {
    const worker = serverless.start({ handler: tokens })
    expectTypeOf<ResultOf<typeof worker>>().toEqualTypeOf<[]>()
    const client = createClient<typeof worker>({ baseUrl })
    expectTypeOf(client.runSync({ input: undefined })).resolves.toEqualTypeOf<JobStatusObject<[]>>()
    expectTypeOf(client.stream('id')).toEqualTypeOf<JobStream<string>>()
    const none = serverless.start({ handler: tokens, aggregate: 'none' })
    expectTypeOf<ResultOf<typeof none>>().toEqualTypeOf<[]>()
    const off = serverless.start({ handler: tokens, returnAggregateStream: false })
    expectTypeOf<ResultOf<typeof off>>().toEqualTypeOf<[]>()
    // @ts-expect-error without aggregation the outputs are not in the status object
    expectTypeOf<ResultOf<typeof worker>>().toEqualTypeOf<string[]>()
  })

  test('returnAggregateStream, return_aggregate_stream, aggregate: array: the array of outputs', () => {
    const camel = serverless.start({ handler: tokens, returnAggregateStream: true })
    const snake = serverless.start({ handler: tokens, return_aggregate_stream: true })
    const array = serverless.start({ handler: tokens, aggregate: 'array' })
    expectTypeOf<ResultOf<typeof camel>>().toEqualTypeOf<string[]>()
    expectTypeOf<ResultOf<typeof snake>>().toEqualTypeOf<string[]>()
    expectTypeOf<ResultOf<typeof array>>().toEqualTypeOf<string[]>()
    const client = createClient<typeof camel>({ baseUrl })
    expectTypeOf(client.runSync({ input: undefined })).resolves.toEqualTypeOf<JobStatusObject<string[]>>()
    expectTypeOf(client.status('id')).resolves.toEqualTypeOf<JobStatusObject<string[]>>()
    expectTypeOf(client.cancel('id')).resolves.toEqualTypeOf<JobStatusObject<string[]>>()
    // @ts-expect-error the output is the array of outputs, not one output
    expectTypeOf(client.runSync({ input: undefined })).resolves.toEqualTypeOf<JobStatusObject<string>>()
  })

  test("returnAggregateStream comes before return_aggregate_stream, as `??` reads them", () => {
    const camelOff = serverless.start({ handler: tokens, returnAggregateStream: false, return_aggregate_stream: true })
    expectTypeOf<ResultOf<typeof camelOff>>().toEqualTypeOf<[]>()
    const camelUnset = serverless.start({ handler: tokens, returnAggregateStream: undefined, return_aggregate_stream: true })
    expectTypeOf<ResultOf<typeof camelUnset>>().toEqualTypeOf<string[]>()
    const flag: boolean = Math.random() > 0.5
    const either = serverless.start({ handler: tokens, returnAggregateStream: flag })
    expectTypeOf<ResultOf<typeof either>>().toEqualTypeOf<string[] | []>()
  })

  test("aggregate: 'concat': one string", () => {
    const worker = serverless.start({ handler: tokens, aggregate: 'concat' })
    expectTypeOf<ResultOf<typeof worker>>().toEqualTypeOf<string>()
    const client = createClient<typeof worker>({ baseUrl })
    expectTypeOf(client.status('id')).resolves.toEqualTypeOf<JobStatusObject<string>>()
    expectTypeOf(client.stream('id')).toEqualTypeOf<JobStream<string>>()
    // @ts-expect-error concat joins the outputs into one string
    expectTypeOf<ResultOf<typeof worker>>().toEqualTypeOf<string[]>()
  })

  test('a reducer: its result type', () => {
    const worker = serverless.start({
      handler: async function* () {
        yield { token: 'a', logprob: -0.5 }
      },
      aggregate: { initial: { text: '', logprob: 0 }, reduce: (sum, output) => ({ text: sum.text + output.token, logprob: sum.logprob + output.logprob }) },
    })
    expectTypeOf<ResultOf<typeof worker>>().toEqualTypeOf<{ text: string; logprob: number }>()
    expectTypeOf<OutputOf<typeof worker>>().toEqualTypeOf<{ token: string; logprob: number }>()
    expectTypeOf(createClient<typeof worker>({ baseUrl }).runSync({ input: undefined })).resolves.toEqualTypeOf<JobStatusObject<{ text: string; logprob: number }>>()
  })

  test('aggregate takes precedence over returnAggregateStream, as at runtime', () => {
    const concat = serverless.start({ handler: tokens, returnAggregateStream: true, aggregate: 'concat' })
    expectTypeOf<ResultOf<typeof concat>>().toEqualTypeOf<string>()
    const none = serverless.start({ handler: tokens, return_aggregate_stream: true, aggregate: 'none' })
    expectTypeOf<ResultOf<typeof none>>().toEqualTypeOf<[]>()
    const count = serverless.start({ handler: tokens, returnAggregateStream: true, aggregate: { initial: 0, reduce: (n) => n + 1 } })
    expectTypeOf<ResultOf<typeof count>>().toEqualTypeOf<number>()
    // `aggregate: undefined` is no aggregate: the flag decides.
    const unset = serverless.start({ handler: tokens, returnAggregateStream: true, aggregate: undefined })
    expectTypeOf<ResultOf<typeof unset>>().toEqualTypeOf<string[]>()
  })

  test('every kind of stream: generators, iterables, ReadableStreams (bytes become text)', () => {
    const sync = serverless.start({ handler: function* () { yield 1 }, returnAggregateStream: true })
    expectTypeOf<ResultOf<typeof sync>>().toEqualTypeOf<number[]>()
    const set = serverless.start({ handler: () => new Set([true]), aggregate: 'array' })
    expectTypeOf<ResultOf<typeof set>>().toEqualTypeOf<boolean[]>()
    const objects = serverless.start({ handler: async () => new ReadableStream<{ n: number }>(), returnAggregateStream: true })
    expectTypeOf<ResultOf<typeof objects>>().toEqualTypeOf<{ n: number }[]>()
    expectTypeOf<OutputOf<typeof objects>>().toEqualTypeOf<{ n: number }>()
    const bytes = serverless.start({ handler: () => new Response('text').body!, returnAggregateStream: true })
    expectTypeOf<ResultOf<typeof bytes>>().toEqualTypeOf<string[]>()
    const joined = serverless.start({ handler: () => new Response('text').body!, aggregate: 'concat' })
    expectTypeOf<ResultOf<typeof joined>>().toEqualTypeOf<string>()
  })

  test('a handler that sometimes streams: each outcome as the engine treats it', () => {
    const worker = serverless.start({
      handler: (job: Job<{ cached?: string }>) => job.input.cached ?? tokens(),
      returnAggregateStream: true,
    })
    expectTypeOf<ResultOf<typeof worker>>().toEqualTypeOf<string | string[]>()
  })
})

describe('log lines', () => {
  test('onLog gets a JobLog; status with logs has typed entries; job.log takes only the levels', () => {
    serverless.start({
      handler: (job) => {
        job.log('fine')
        job.log('fine', 'warn')
        // @ts-expect-error not a level
        job.log('no', 'fatal')
        // @ts-expect-error a message is a string
        job.log({ text: 'no' })
      },
    })
    const client = createClient({ baseUrl })
    client.stream('id', { onLog: (line) => expectTypeOf(line).toEqualTypeOf<JobLog>() })
    expectTypeOf(client.status('id', { logs: true })).resolves.toHaveProperty('logs').toEqualTypeOf<JobLogEntry[] | undefined>()
    expectTypeOf<JobLog['level']>().toEqualTypeOf<LogLevel>()
  })
})

describe('typed and untyped status objects mix', () => {
  test('a typed status object is a JobStatusObject', () => {
    const worker = serverless.start({ handler: tokens, aggregate: 'concat' })
    const client = createClient<typeof worker>({ baseUrl })
    expectTypeOf<Awaited<ReturnType<typeof client.status>>>().toExtend<JobStatusObject>()
    expectTypeOf<JobStatusObject>().toEqualTypeOf<JobStatusObject<unknown>>()
  })

  test('an untyped client, or a worker type without a result, answers unknown', () => {
    const client = createClient({ baseUrl })
    expectTypeOf(client.runSync({ input: { anything: 1 } })).resolves.toEqualTypeOf<JobStatusObject>()
    expectTypeOf(client.stream('id')).toEqualTypeOf<JobStream<unknown>>()
    type Typed = { readonly '~types'?: { input: { n: number }; output: number } }
    expectTypeOf<ClientOf<Typed>>().toEqualTypeOf<EdgepodClient<{ n: number }, number, unknown>>()
    expectTypeOf<ResultOf<Worker>>().toBeUnknown()
  })

  test('ClientOf is what createClient returns', () => {
    const worker = serverless.start({
      schema: z.object({ prompt: z.string(), maxTokens: z.number().default(256) }),
      handler: tokens,
      returnAggregateStream: true,
    })
    expectTypeOf(createClient<typeof worker>({ baseUrl })).toEqualTypeOf<ClientOf<typeof worker>>()
    expectTypeOf<ClientOf<typeof worker>>().toEqualTypeOf<EdgepodClient<{ prompt: string; maxTokens?: number | undefined }, string, string[]>>()
  })

  test("edgepod/cloudflare-workers' start types its worker as the core's does", () => {
    const worker = cloudflare.start({
      schema: z.object({ prompt: z.string(), maxTokens: z.number().default(256) }),
      handler: tokens,
      aggregate: 'concat',
      durableObject: 'EDGEPOD_JOBS',
    })
    expectTypeOf<ClientOf<typeof worker>>().toEqualTypeOf<EdgepodClient<{ prompt: string; maxTokens?: number | undefined }, string, string>>()
  })
})

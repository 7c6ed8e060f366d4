import { type } from 'arktype'
import * as v from 'valibot'
import { describe, expectTypeOf, test } from 'vitest'
import { z } from 'zod'
import { serverless } from './index.ts'
import type { AggregationOf, HandlerOutputOf, HandlerResultOf, Job, Reducer, Worker, WorkerConfig } from './index.ts'

describe('job.input is typed from the schema, with no annotation', () => {
  test('zod: the output type, defaults applied', () => {
    serverless.start({
      schema: z.object({ prompt: z.string(), maxTokens: z.number().default(16) }),
      handler: async function* (job) {
        expectTypeOf(job.input).toEqualTypeOf<{ prompt: string; maxTokens: number }>()
        yield job.input.prompt
      },
    })
  })

  test('valibot', () => {
    serverless.start({
      schema: v.object({ prompt: v.string(), tags: v.array(v.string()) }),
      handler: (job) => {
        expectTypeOf(job.input).toEqualTypeOf<{ prompt: string; tags: string[] }>()
      },
    })
  })

  test('arktype', () => {
    serverless.start({
      schema: type({ prompt: 'string', 'count?': 'number' }),
      handler: (job) => {
        expectTypeOf(job.input.prompt).toEqualTypeOf<string>()
        expectTypeOf(job.input.count).toEqualTypeOf<number | undefined>()
      },
    })
  })

  test('a handler annotated against the schema does not type-check', () => {
    serverless.start({
      // @ts-expect-error the schema gives { prompt: string }, the handler wants { count: number }
      schema: z.object({ prompt: z.string() }),
      handler: (job: Job<{ count: number }>) => job.input.count,
    })
  })
})

describe('without a schema', () => {
  test('job.input is any, as a RunPod handler expects', () => {
    serverless.start({
      handler: (job) => {
        expectTypeOf(job.input).toBeAny()
      },
    })
  })

  test('an annotated handler types its own input', () => {
    serverless.start({
      handler: (job: Job<{ n: number }>) => {
        expectTypeOf(job.input).toEqualTypeOf<{ n: number }>()
      },
    })
  })

  test("RunPod's spellings type-check beside the camelCase ones", () => {
    serverless.start({ handler: () => 1, return_aggregate_stream: true, concurrency_modifier: (n: number) => n + 1 })
    serverless.start({ handler: () => 1, returnAggregateStream: true, concurrencyModifier: 4, aggregate: 'concat' })
  })

  test('a reducer is typed by its initial value', () => {
    serverless.start({
      handler: () => 1,
      aggregate: { initial: 0, reduce: (sum: number, output: number) => sum + output },
    })
  })
})

describe('the worker carries its input and output types, for a client', () => {
  type TypesOf<W> = W extends { '~types'?: infer T } ? NonNullable<T> : never

  test('an async generator: the output is what it yields', () => {
    const worker = serverless.start({
      schema: z.object({ prompt: z.string() }),
      handler: async function* (job) {
        yield { token: job.input.prompt, index: 0 }
      },
    })
    expectTypeOf<TypesOf<typeof worker>>().toEqualTypeOf<{ input: { prompt: string }; output: { token: string; index: number } }>()
  })

  test('a plain async function: the output is what it returns', () => {
    const worker = serverless.start({ handler: async (job: Job<{ n: number }>) => job.input.n * 2 })
    expectTypeOf<TypesOf<typeof worker>>().toEqualTypeOf<{ input: { n: number }; output: number }>()
  })

  test('a function returning a byte stream: the outputs are text', () => {
    const worker = serverless.start({ handler: () => new Response('x').body! })
    expectTypeOf<TypesOf<typeof worker>['output']>().toEqualTypeOf<string>()
  })

  test('a function returning an array: the array is the one output', () => {
    const worker = serverless.start({ handler: () => [1, 2, 3] })
    expectTypeOf<TypesOf<typeof worker>['output']>().toEqualTypeOf<number[]>()
  })
})

describe('the worker carries the input a request sends and the output of its status objects', () => {
  test("the schema's input type for requests, its output type for job.input", () => {
    const worker = serverless.start({
      schema: z.object({ prompt: z.string().min(1), maxTokens: z.number().int().default(256) }),
      handler: async function* (job) {
        expectTypeOf(job.input).toEqualTypeOf<{ prompt: string; maxTokens: number }>()
        yield job.input.prompt.slice(0, job.input.maxTokens)
      },
      aggregate: 'concat',
    })
    expectTypeOf(worker).toEqualTypeOf<Worker<any, { prompt: string; maxTokens?: number | undefined }, string, string>>()
    // @ts-expect-error a request may leave maxTokens out: the schema fills it in
    expectTypeOf(worker).toEqualTypeOf<Worker<any, { prompt: string; maxTokens: number }, string, string>>()
  })

  test('a reducer is typed by its initial value, with no annotation', () => {
    const worker = serverless.start({
      handler: async function* () {
        yield 'token'
      },
      aggregate: {
        initial: 0,
        reduce: (tokens, output, index) => {
          expectTypeOf(tokens).toEqualTypeOf<number>()
          expectTypeOf(index).toEqualTypeOf<number>()
          return tokens + (output === '' ? 0 : 1)
        },
      },
    })
    expectTypeOf(worker).toEqualTypeOf<Worker<any, any, string, number>>()
    serverless.start({
      handler: () => 1,
      // @ts-expect-error the reducer's result must stay the type of its initial value
      aggregate: { initial: 0, reduce: (count: number) => `${count}` },
    })
  })

  test('the aggregation options accept what they always did, and nothing else', () => {
    // @ts-expect-error not an aggregation
    serverless.start({ handler: () => 1, aggregate: 'sum' })
    // @ts-expect-error a boolean
    serverless.start({ handler: () => 1, returnAggregateStream: 'yes' })
    // @ts-expect-error a boolean
    serverless.start({ handler: () => 1, return_aggregate_stream: 1 })
    const aggregation: Reducer<string[]> = { initial: [], reduce: (all, output: string) => [...all, output] }
    const worker = serverless.start({ handler: async function* () { yield 'a' }, aggregate: aggregation })
    expectTypeOf(worker).toEqualTypeOf<Worker<any, any, string, string[]>>()
  })

  test('type arguments given by hand still take every option (the result is then unknown)', () => {
    const worker = serverless.start<{ n: number }>({
      schema: z.object({ n: z.number().default(1) }),
      handler: async function* (job) {
        yield job.input.n
      },
      returnAggregateStream: true,
      aggregate: 'concat',
    })
    expectTypeOf(worker).toEqualTypeOf<Worker<any, { n: number }, unknown, unknown>>()
  })

  test('a WorkerConfig written apart still takes a schema with defaults, and starts', () => {
    const config: WorkerConfig<{ n: number }> = {
      schema: z.object({ n: z.number().default(1) }),
      handler: (job) => job.input.n,
      aggregate: 'concat',
    }
    const worker = serverless.start(config)
    expectTypeOf(worker).toEqualTypeOf<Worker<any, { n: number }, unknown, unknown>>()
  })
})

describe('HandlerResultOf and AggregationOf, the types behind a status object', () => {
  test('AggregationOf reads the options in the order resolveConfig does', () => {
    expectTypeOf<AggregationOf>().toEqualTypeOf<'none'>()
    expectTypeOf<AggregationOf<unknown, unknown, true>>().toEqualTypeOf<'array'>()
    expectTypeOf<AggregationOf<unknown, unknown, unknown, true>>().toEqualTypeOf<'array'>()
    expectTypeOf<AggregationOf<unknown, unknown, false, true>>().toEqualTypeOf<'none'>()
    expectTypeOf<AggregationOf<unknown, unknown, undefined, true>>().toEqualTypeOf<'array'>()
    expectTypeOf<AggregationOf<unknown, unknown, boolean>>().toEqualTypeOf<'array' | 'none'>()
    expectTypeOf<AggregationOf<'concat', unknown, true>>().toEqualTypeOf<'concat'>()
    expectTypeOf<AggregationOf<'none', unknown, true>>().toEqualTypeOf<'none'>()
    expectTypeOf<AggregationOf<undefined, unknown, true>>().toEqualTypeOf<'array'>()
    expectTypeOf<AggregationOf<Reducer<number>, number, true>>().toEqualTypeOf<Reducer<number>>()
  })

  test('a value is the output as it is; a stream is its aggregate', () => {
    expectTypeOf<HandlerResultOf<Promise<{ text: string }>, 'array'>>().toEqualTypeOf<{ text: string }>()
    expectTypeOf<HandlerResultOf<string, 'concat'>>().toEqualTypeOf<string>()
    expectTypeOf<HandlerResultOf<AsyncGenerator<number>>>().toEqualTypeOf<[]>()
    expectTypeOf<HandlerResultOf<AsyncGenerator<number>, 'array'>>().toEqualTypeOf<number[]>()
    expectTypeOf<HandlerResultOf<Generator<number>, 'concat'>>().toEqualTypeOf<string>()
    expectTypeOf<HandlerResultOf<Iterable<number>, Reducer<{ sum: number }>>>().toEqualTypeOf<{ sum: number }>()
    expectTypeOf<HandlerResultOf<Promise<ReadableStream<Uint8Array>>, 'array'>>().toEqualTypeOf<string[]>()
    // @ts-expect-error an array aggregate is an array
    expectTypeOf<HandlerResultOf<AsyncGenerator<number>, 'array'>>().toEqualTypeOf<number>()
  })

  test("RunPod's result keys: error fails the job, refresh_worker is not sent, nothing is no output", () => {
    expectTypeOf<HandlerResultOf<{ error: string }>>().toEqualTypeOf<undefined>()
    expectTypeOf<HandlerResultOf<{ text: string; refresh_worker: boolean }>>().toEqualTypeOf<{ text: string }>()
    expectTypeOf<HandlerResultOf<Promise<void>>>().toEqualTypeOf<undefined>()
    expectTypeOf<HandlerOutputOf<{ text: string; error?: string }>>().toEqualTypeOf<{ text: string }>()
    // A handler that returns nothing sends no output, and its stream yields none.
    expectTypeOf<HandlerOutputOf<void>>().toBeNever()
  })

  test('an unknown (any) handler result stays unknown (any)', () => {
    expectTypeOf<HandlerResultOf<unknown, 'array'>>().toBeUnknown()
    expectTypeOf<HandlerResultOf<any, 'array'>>().toBeAny()
  })

  test('byte arrays are values, as the engine treats them, not streams of numbers', () => {
    expectTypeOf<HandlerOutputOf<Uint8Array>>().toEqualTypeOf<Uint8Array>()
    expectTypeOf<HandlerResultOf<Uint8Array, 'array'>>().toEqualTypeOf<Uint8Array>()
  })
})

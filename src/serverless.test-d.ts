import { type } from 'arktype'
import * as v from 'valibot'
import { describe, expectTypeOf, test } from 'vitest'
import { z } from 'zod'
import { serverless } from './index.ts'
import type { Job } from './index.ts'

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

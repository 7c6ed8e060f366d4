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

import { type } from 'arktype'
import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { WorkerError } from '../errors.ts'
import { start } from '../serverless.ts'
import { statusOfCode } from './http-error.ts'
import { inputJsonSchemaOf, validatedInput } from './validate-input.ts'

const post = (path: string, body: unknown) => new Request(`http://edgepod.test${path}`, { method: 'POST', body: JSON.stringify(body) })

// The same rule in three libraries: a non-empty prompt and an optional whole number of tokens.
const schemas = {
  zod: z.object({ prompt: z.string().min(1), maxTokens: z.number().int().default(16) }),
  valibot: v.object({ prompt: v.pipe(v.string(), v.minLength(1)), maxTokens: v.optional(v.pipe(v.number(), v.integer()), 16) }),
  arktype: type({ prompt: 'string > 0', 'maxTokens?': 'number.integer' }),
}

describe('validatedInput', () => {
  for (const [library, schema] of Object.entries(schemas)) {
    it(`accepts a valid input with ${library}`, async () => {
      await expect(validatedInput(schema, { prompt: 'hi', maxTokens: 8 })).resolves.toEqual({ prompt: 'hi', maxTokens: 8 })
    })

    it(`answers 400 invalid_input with ${library}'s issues, each with its path from the body`, async () => {
      const error = await validatedInput(schema, { prompt: '', maxTokens: 1.5 }).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'invalid_input' })
      expect(statusOfCode[(error as WorkerError).code]).toBe(400)
      const details = (error as { details: Array<{ path: string[]; message: string }> }).details
      expect(details.map((issue) => issue.path).sort()).toEqual([
        ['input', 'maxTokens'],
        ['input', 'prompt'],
      ])
      for (const issue of details) expect(issue.message).toEqual(expect.any(String))
    })
  }

  it('applies the schema’s defaults and transforms to the input', async () => {
    await expect(validatedInput(schemas.zod, { prompt: 'x' })).resolves.toEqual({ prompt: 'x', maxTokens: 16 })
  })

  it('awaits an asynchronous validator', async () => {
    const slow = z.object({ n: z.number() }).refine(async (value) => value.n > 0, { message: 'must be positive', path: ['n'] })
    await expect(validatedInput(slow, { n: 1 })).resolves.toEqual({ n: 1 })
    await expect(validatedInput(slow, { n: -1 })).rejects.toMatchObject({ details: [{ path: ['input', 'n'], message: 'must be positive' }] })
  })

  it('passes everything through without a schema', async () => {
    await expect(validatedInput(undefined, { any: 'thing' })).resolves.toEqual({ any: 'thing' })
  })
})

describe('inputJsonSchemaOf', () => {
  it('renders the input as JSON Schema when the validator can (zod, arktype)', () => {
    expect(inputJsonSchemaOf(schemas.zod)).toMatchObject({ type: 'object', properties: { prompt: { type: 'string', minLength: 1 } } })
    expect(inputJsonSchemaOf(schemas.arktype)).toMatchObject({ type: 'object', required: ['prompt'] })
  })

  it('gives nothing when it cannot (valibot has no Standard JSON Schema, or no schema)', () => {
    expect(inputJsonSchemaOf(schemas.valibot)).toBeUndefined()
    expect(inputJsonSchemaOf(undefined)).toBeUndefined()
  })
})

describe('a worker with a schema', () => {
  it('refuses bad input before any job exists, on every route that creates one', async () => {
    let ran = 0
    const worker = start({
      schema: schemas.zod,
      handler: (job) => {
        ran++
        return job.input.prompt.toUpperCase()
      },
    })
    for (const path of ['/run', '/runsync', '/stream', '/v2/e/run']) {
      const response = await worker.fetch(post(path, { input: { prompt: 42 } }))
      expect(response.status, path).toBe(400)
      expect(await response.json()).toMatchObject({ code: 'invalid_input', details: [{ path: ['input', 'prompt'] }] })
    }
    expect((await worker.engine.health()).jobs).toMatchObject({ completed: 0, inQueue: 0, inProgress: 0 })
    expect(ran).toBe(0)
    const ok = await worker.fetch(post('/runsync', { input: { prompt: 'hi' } }))
    expect(await ok.json()).toMatchObject({ status: 'COMPLETED', output: 'HI' })
  })

  it('hands the handler the validated input, defaults filled in', async () => {
    const worker = start({ schema: schemas.zod, handler: (job) => job.input })
    const response = await worker.fetch(post('/runsync', { input: { prompt: 'p' } }))
    expect((await response.json()).output).toEqual({ prompt: 'p', maxTokens: 16 })
  })

  it('refuses a schema that is not a Standard Schema validator', () => {
    expect(() => start({ schema: { parse: () => 1 } as never, handler: () => 1 })).toThrow(/Standard Schema/)
  })
})

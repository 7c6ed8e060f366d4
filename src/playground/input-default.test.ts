/**
 * inputDefaultOf: the playground's default input as the worker's own /openapi.json tells it, with
 * the request's env and key, and the page's own example whenever the document cannot be had.
 */
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { serverless } from '../index.ts'
import { inputDefaultOf } from './input-default.ts'

const handler = async () => 'ok'
const schema = z.object({ prompt: z.string().default('hello'), maxTokens: z.number().int().default(256), topic: z.string() })
const page = (headers: Record<string, string> = {}) => new Request('http://localhost/playground', { headers })

describe('inputDefaultOf', () => {
  it("is the example of the worker's input schema", async () => {
    const worker = serverless.start({ handler, schema })
    expect(await inputDefaultOf(worker, page())).toEqual({ source: 'schema', example: { prompt: 'hello', maxTokens: 256, topic: '' } })
  })

  it('is none without a schema, or with one that has no JSON Schema form', async () => {
    expect(await inputDefaultOf(serverless.start({ handler }), page())).toEqual({ source: 'none' })
    const custom = serverless.start({ handler, schema: z.object({ at: z.date() }) })
    expect(await inputDefaultOf(custom, page())).toEqual({ source: 'none' })
  })

  it('is locked while the worker wants a key the request lacks, and the example with the key', async () => {
    const worker = serverless.start({ handler, schema, apiKey: 'k' })
    expect(await inputDefaultOf(worker, page())).toEqual({ source: 'locked' })
    expect(await inputDefaultOf(worker, page({ Authorization: 'Bearer wrong' }))).toEqual({ source: 'locked' })
    expect(await inputDefaultOf(worker, page({ Authorization: 'Bearer k' }))).toMatchObject({ source: 'schema' })
  })

  it("asks with the request's env: a key there locks it too", async () => {
    const worker = serverless.start({ handler, schema })
    expect(await inputDefaultOf(worker, page(), { EDGEPOD_API_KEY: 'k' })).toEqual({ source: 'locked' })
  })

  it('is none for an app with no document, or one that throws or answers something else', async () => {
    expect(await inputDefaultOf(new Hono(), page())).toEqual({ source: 'none' })
    const throwing = { fetch: () => Promise.reject(new Error('down')) }
    expect(await inputDefaultOf(throwing, page())).toEqual({ source: 'none' })
    const notJson = { fetch: () => new Response('<html>') }
    expect(await inputDefaultOf(notJson, page())).toEqual({ source: 'none' })
    const otherDocument = { fetch: () => Response.json({ openapi: '3.1.0', components: { schemas: { Pet: { type: 'object' } } } }) }
    expect(await inputDefaultOf(otherDocument, page())).toEqual({ source: 'none' })
  })
})

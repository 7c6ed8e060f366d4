import { Validator } from '@seriousme/openapi-schema-validator'
// Ajv comes with the OpenAPI validator; it checks real answers against the document's JSON Schemas.
import { Ajv2020 } from 'ajv/dist/2020.js'
import { EventSourceParserStream } from 'eventsource-parser/stream'
import type { EventSourceMessage } from 'eventsource-parser/stream'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { WorkerConfig } from '../config.ts'
import { DEFAULT_LIMITS, SYNC_WAIT } from '../limits.ts'
import { start } from '../serverless.ts'
import type { OpenApiOptions } from './openapi.ts'
import { OAS_31_DIALECT, openApiDocument } from './openapi.ts'
import type { WorkerLimits } from './route.ts'
import { routes } from './routes/index.ts'

type Doc = Record<string, any>

// Written from docs/protocol.md's route table, not from openapi.ts, so that a route missing there fails here.
const PROTOCOL_ROUTES: Record<string, string[]> = {
  '/run': ['post'],
  '/runsync': ['post'],
  '/stream': ['post'],
  '/stream/{id}': ['get', 'post'],
  '/status/{id}': ['get', 'post'],
  '/status-sync/{id}': ['get'],
  '/cancel/{id}': ['post'],
  '/retry/{id}': ['post'],
  '/purge-queue': ['post'],
  '/health': ['get'],
  '/openapi.json': ['get'],
  '/ping': ['get'],
  '/openai/v1/chat/completions': ['post'],
  '/openai/v1/completions': ['post'],
  '/openai/v1/models': ['get'],
}

// docs/protocol.md's "HTTP errors", plus the two routing codes README.md adds.
const PROTOCOL_CODES = [
  'invalid_json',
  'missing_input',
  'invalid_input',
  'unauthorized',
  'job_not_found',
  'invalid_state',
  'payload_too_large',
  'queue_full',
  'store_unavailable',
  'setup_failed',
  'draining',
  'internal',
]
const ROUTING_CODES = ['not_found', 'method_not_allowed']

// The error statuses each route can answer without auth (401 is added with it). 503 on a
// submitting route is `draining`, which only a worker with a store of its own answers.
const ROUTE_ERRORS: Record<string, number[]> = {
  '/run': [400, 413, 429, 500, 503],
  '/runsync': [400, 413, 429, 500, 503],
  '/stream': [400, 413, 429, 500, 503],
  '/stream/{id}': [400, 404, 500],
  '/status/{id}': [400, 404, 500],
  '/status-sync/{id}': [400, 404, 500],
  '/cancel/{id}': [404, 500],
  '/retry/{id}': [404, 409, 429, 500, 503],
  '/purge-queue': [500],
  '/health': [500],
  '/openapi.json': [500],
  '/ping': [500, 503],
  '/openai/v1/chat/completions': [400, 413, 429, 500, 503],
  '/openai/v1/completions': [400, 413, 429, 500, 503],
  '/openai/v1/models': [429, 500, 503],
}

const PREFIXES = ['', '/v2/{endpointId}']
/** What the tests vary; the routes are always the app's route table. */
type DocOptions = Omit<OpenApiOptions, 'routes'>
const OPTION_SETS: [string, DocOptions][] = [
  ['no input schema, no auth', { auth: false }],
  ['no input schema, auth', { auth: true }],
  ['input schema, no auth', { auth: false, inputSchema: { type: 'object', required: ['prompt'], properties: { prompt: { type: 'string' } } } }],
  ['input schema, auth', { auth: true, inputSchema: { type: 'object', properties: { n: { type: 'integer' } } } }],
]

const validate = (doc: Record<string, unknown>) => new Validator().validate(structuredClone(doc))
/** The document of the app's route table, typed loosely for reading in tests. */
const documentOf = (options: DocOptions): Doc => openApiDocument({ routes, ...options })
const escape = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1')

/** The node at a JSON pointer (`/a/b`) of the document. */
function at(doc: Doc, pointer: string): any {
  let node: any = doc
  for (const raw of pointer.split('/').slice(1)) node = node?.[raw.replace(/~1/g, '/').replace(/~0/g, '~')]
  return node
}

/** The node, or what its `$ref` points to (with the pointer it ends at). */
function deref(doc: Doc, pointer: string): { node: any; pointer: string } {
  const node = at(doc, pointer)
  if (typeof node?.$ref === 'string' && node.$ref.startsWith('#/')) return deref(doc, node.$ref.slice(1))
  return { node, pointer }
}

function operations(doc: Doc): [string, string, Doc][] {
  return Object.entries(doc['paths'] as Doc).flatMap(([path, item]) =>
    (['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const)
      .filter((method) => item[method])
      .map((method): [string, string, Doc] => [path, method, item[method]])
  )
}

/** Checks values against the document's schemas, located by JSON pointer. */
function schemaChecker(doc: Doc) {
  // Formats need ajv-formats; the shapes are what is checked here.
  const ajv = new Ajv2020({ strict: false, validateFormats: false })
  ajv.addSchema(structuredClone(doc), 'urn:edgepod:openapi')
  return (pointer: string, value: unknown) => {
    const check = ajv.getSchema(`urn:edgepod:openapi#${pointer}`)
    if (!check) throw new Error(`no schema at ${pointer}`)
    return check(value) ? [] : (check.errors ?? [])
  }
}

/** Where the schema of a documented answer is, following `$ref`s. */
function answerSchema(doc: Doc, path: string, method: string, status: number, media = 'application/json'): string {
  const response = deref(doc, `/paths/${escape(path)}/${method}/responses/${status}`)
  if (response.node === undefined) throw new Error(`${method.toUpperCase()} ${path} documents no ${status}`)
  return `${response.pointer}/content/${escape(media)}/schema`
}

describe('openApiDocument', () => {
  it.each(OPTION_SETS)('is a valid OpenAPI 3.1 document (%s)', async (_, options) => {
    const doc = documentOf(options)
    expect(doc['openapi']).toBe('3.1.0')
    expect(await validate(doc)).toEqual({ valid: true })
  })

  it("states the JSON Schema dialect, OpenAPI 3.1.0's default (draft 2020-12)", () => {
    const doc = documentOf({ auth: false })
    expect(doc['jsonSchemaDialect']).toBe('https://spec.openapis.org/oas/3.1/dialect/base')
    expect(OAS_31_DIALECT).toBe(doc['jsonSchemaDialect'])
    // Our own schemas inherit it: none declares another.
    expect(JSON.stringify(doc)).not.toContain('"$schema"')
  })

  it('the validator rejects broken copies, so the checks above can fail', async () => {
    const good = documentOf({ auth: true })
    const noInfo: Doc = structuredClone(good)
    delete noInfo['info']
    expect((await validate(noInfo)).valid).toBe(false)

    const noDescription: Doc = structuredClone(good)
    delete noDescription['paths']['/run']['post']['responses']['200']['description']
    expect((await validate(noDescription)).valid).toBe(false)

    const danglingRef: Doc = structuredClone(good)
    danglingRef['components']['schemas']['JobRequest']['properties']['input'] = { $ref: '#/components/schemas/Nowhere' }
    expect(await validate(danglingRef)).toMatchObject({ valid: false, errors: expect.stringContaining('Nowhere') })
  })

  it('describes every route of docs/protocol.md at the root and under /v2/{endpointId}, with its methods only', () => {
    const doc = documentOf({ auth: false })
    const expected = PREFIXES.flatMap((prefix) =>
      Object.entries(PROTOCOL_ROUTES).flatMap(([path, methods]) => methods.map((method) => `${method.toUpperCase()} ${prefix}${path}`))
    )
    const actual = operations(doc).map(([path, method]) => `${method.toUpperCase()} ${path}`)
    expect(actual.sort()).toEqual(expected.sort())
    expect(Object.keys(doc['paths']).sort()).toEqual(PREFIXES.flatMap((prefix) => Object.keys(PROTOCOL_ROUTES).map((path) => prefix + path)).sort())
  })

  it('declares every path parameter, and the endpoint id under /v2', () => {
    const doc = documentOf({ auth: false })
    for (const [path, method, operation] of operations(doc)) {
      const names = (operation['parameters'] ?? []).map((p: Doc) => deref(doc, p['$ref'].slice(1)).node)
      const inPath = names.filter((p: Doc) => p['in'] === 'path').map((p: Doc) => p['name']).sort()
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()
      expect(inPath, `${method} ${path}`).toEqual(templated)
    }
  })

  it('gives every operation a unique operationId across both path sets', () => {
    const ids = operations(documentOf({ auth: true })).map(([, , operation]) => operation['operationId'])
    expect(ids).toHaveLength(34)
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('lists every error code of docs/protocol.md (and the routing ones) in the Error code enum', () => {
    const doc = documentOf({ auth: false })
    const codes: string[] = doc['components']['schemas']['Error']['properties']['code']['enum']
    expect([...codes].sort()).toEqual([...PROTOCOL_CODES, ...ROUTING_CODES].sort())
    // Every code is some documented answer's, under the status docs/protocol.md gives it.
    const statusOf: Record<string, number> = {}
    for (const response of Object.values(doc['components']['responses'] as Record<string, Doc>)) {
      const status = Number(/^(\d{3}):/.exec(response['description'])?.[1])
      for (const code of response['content']['application/json']['schema']['allOf'][1]['properties']['code']['enum']) statusOf[code] = status
    }
    expect(statusOf).toEqual({
      invalid_json: 400,
      missing_input: 400,
      invalid_input: 400,
      unauthorized: 401,
      not_found: 404,
      job_not_found: 404,
      method_not_allowed: 405,
      invalid_state: 409,
      payload_too_large: 413,
      queue_full: 429,
      store_unavailable: 503,
      setup_failed: 503,
      draining: 503,
      internal: 500,
    })
  })

  it.each([false, true])('documents the error answers of every route (auth: %s)', (auth) => {
    const doc = documentOf({ auth })
    for (const [path, method, operation] of operations(doc)) {
      const route = path.replace('/v2/{endpointId}', '')
      const errors = Object.keys(operation['responses']).map(Number).filter((status) => status >= 400)
      const expected = [...(ROUTE_ERRORS[route] ?? []), ...(auth ? [401] : [])].sort()
      expect(errors.sort(), `${method} ${path}`).toEqual(expected)
      expect(doc['paths'][path]['description'], `${path} tells of 405`).toContain('405')
    }
    expect(doc['security']).toEqual(auth ? [{ bearerAuth: [] }] : undefined)
    expect(doc['components']['securitySchemes']).toEqual(auth ? { bearerAuth: expect.objectContaining({ type: 'http', scheme: 'bearer' }) } : undefined)
  })

  it('adds 503 store_unavailable to every route that reads or writes the jobs, only when they live in a shared store (which never answers draining)', () => {
    const shared = documentOf({ auth: false, sharedStore: true })
    for (const [path, method, operation] of operations(shared)) {
      const route = path.replace('/v2/{endpointId}', '')
      const errors = Object.keys(operation['responses']).map(Number).filter((status) => status >= 400)
      const storeFree = route === '/openapi.json' || route === '/ping'
      const expected = [...new Set([...(ROUTE_ERRORS[route] ?? []), ...(storeFree ? [] : [503])])].sort()
      expect(errors.sort(), `${method} ${path}`).toEqual(expected)
      if (!storeFree) expect(operation['responses']['503']).toEqual({ $ref: '#/components/responses/StoreUnavailable' })
    }
  })

  it('puts the input schema where JobRequest.input is, and any JSON without one', () => {
    const inputSchema = { type: 'object', required: ['prompt'], properties: { prompt: { type: 'string', minLength: 1 } } }
    const withSchema = documentOf({ auth: false, inputSchema })
    const input = deref(withSchema, '/components/schemas/JobRequest/properties/input')
    expect(input.node).toEqual(inputSchema)
    expect(withSchema['components']['schemas']['JobRequest']['required']).toEqual(['input'])
    for (const path of ['/run', '/runsync', '/stream', '/v2/{endpointId}/run']) {
      expect(deref(withSchema, bodySchema(withSchema, path)).pointer).toBe('/components/schemas/JobRequest')
    }

    const without = deref(documentOf({ auth: false }), '/components/schemas/JobRequest/properties/input').node
    // No `type`: any JSON value, `null` included.
    expect(without).toEqual({ description: expect.any(String) })
  })

  it('embeds a real input schema with $defs and recursion so that its references still resolve', async () => {
    const Node: z.ZodType<{ name: string; children: unknown[] }> = z.object({ name: z.string(), get children() { return z.array(Node) } })
    const recursive = z.toJSONSchema(Node) as Record<string, unknown>
    const withDefs = z.toJSONSchema(z.object({ prompt: z.string(), tree: Node })) as Record<string, unknown>
    expect(JSON.stringify(recursive)).toContain('"$ref":"#"')
    expect(JSON.stringify(withDefs)).toContain('"$ref":"#/$defs/')
    for (const inputSchema of [recursive, withDefs]) {
      const before = structuredClone(inputSchema)
      const doc = documentOf({ auth: false, inputSchema })
      expect(await validate(doc)).toEqual({ valid: true })
      expect(inputSchema, "the caller's schema is not changed").toEqual(before)
      const check = schemaChecker(doc)
      const tree = { name: 'a', children: [{ name: 'b', children: [] }] }
      const good = inputSchema === recursive ? tree : { prompt: 'hi', tree }
      const bad = inputSchema === recursive ? { name: 'a', children: [{ name: 1, children: [] }] } : { prompt: 'hi', tree: { name: 'a', children: [{ children: [] }] } }
      expect(check('/components/schemas/JobRequest', { input: good })).toEqual([])
      expect(check('/components/schemas/JobRequest', { input: bad })).not.toEqual([])
    }
  })

  it('leaves the references of an input schema with its own $id alone', async () => {
    const inputSchema = {
      $id: 'https://example.com/input.json',
      type: 'object',
      properties: { n: { $ref: '#/$defs/count' }, default: { $ref: '#/$defs/count' } },
      $defs: { count: { type: 'integer', minimum: 0 } },
    }
    const doc = documentOf({ auth: false, inputSchema })
    expect(await validate(doc)).toEqual({ valid: true })
    expect(doc['components']['schemas']['JobInput']).toEqual(inputSchema)
    const check = schemaChecker(doc)
    expect(check('/components/schemas/JobRequest', { input: { n: 1 } })).toEqual([])
    expect(check('/components/schemas/JobRequest', { input: { n: -1 } })).not.toEqual([])
  })

  it('re-roots references under properties named like keywords, and none inside data', async () => {
    const inputSchema = {
      type: 'object',
      properties: { default: { $ref: '#/$defs/n' }, const: { $ref: '#/$defs/n' } },
      default: { $ref: '#/not/a/reference' },
      $defs: { n: { type: 'number' } },
    }
    const input = documentOf({ auth: false, inputSchema })['components']['schemas']['JobInput']
    expect(input['properties']['default']['$ref']).toBe('#/components/schemas/JobInput/$defs/n')
    expect(input['properties']['const']['$ref']).toBe('#/components/schemas/JobInput/$defs/n')
    expect(input['default']).toEqual({ $ref: '#/not/a/reference' })
  })

  it('describes both SSE answers and their events', () => {
    const doc = documentOf({ auth: false })
    for (const prefix of PREFIXES) {
      const run = doc['paths'][`${prefix}/stream`]['post']['responses']['200']
      expect(Object.keys(run['content'])).toEqual(['text/event-stream'])
      expect(Object.keys(run['headers'])).toContain('X-Job-Id')
      for (const method of ['get', 'post']) {
        const read = doc['paths'][`${prefix}/stream/{id}`][method]['responses']
        expect(Object.keys(read['200']['content']).sort()).toEqual(['application/json', 'text/event-stream'])
        expect(read['204']).toBeDefined()
        const params = doc['paths'][`${prefix}/stream/{id}`][method]['parameters'].map((p: Doc) => deref(doc, p['$ref'].slice(1)).node)
        expect(params.map((p: Doc) => `${p['in']} ${p['name']}`)).toEqual(
          expect.arrayContaining(['query after', 'query wait', 'query lastEventId', 'header Last-Event-ID'])
        )
      }
    }
    const schemas = doc['components']['schemas']
    expect(schemas['SSEOutputEvent']['properties']['event']['const']).toBe('output')
    expect(schemas['SSEProgressEvent']['properties']['event']['const']).toBe('progress')
    expect(schemas['SSELogEvent']['properties']['event']['const']).toBe('log')
    expect(schemas['SSELogEvent']['properties']['data']['contentSchema']).toEqual({ $ref: '#/components/schemas/JobLog' })
    expect(schemas['SSEDoneEvent']['properties']['event']['const']).toBe('done')
    expect(schemas['SSEDoneEvent']['properties']['data']['contentSchema']).toEqual({ $ref: '#/components/schemas/StatusWithoutOutput' })
    expect(schemas['SSEStream']['description']).toMatch(/: ping/)
  })

  it('parses the SSE example into events that match the event schemas', async () => {
    const doc = documentOf({ auth: false })
    const check = schemaChecker(doc)
    const example: string = doc['components']['schemas']['SSEStream']['examples'][0]
    expect(example).toMatch(/^: /)
    expect(example).toContain(': ping\n\n')
    const events = await parseEvents(new Response(example))
    expect(events.map((e) => e.event)).toEqual(['output', 'progress', 'log', 'output', 'done'])
    for (const event of events) expect(checkEvent(check, event)).toEqual([])
  })

  it('is built fresh each time, as plain JSON, with the title and version asked for', () => {
    const a = documentOf({ auth: false })
    const b = documentOf({ auth: false })
    expect(a).not.toBe(b)
    a['components']['schemas']['Error']['required'].push('changed')
    a['paths']['/stream']['post']['responses']['200']['headers']['X-Job-Id']['$ref'] = 'changed'
    expect(b['components']['schemas']['Error']['required']).toEqual(['error', 'code'])
    // Nor is any object in two places of one document.
    expect(a['paths']['/v2/{endpointId}/stream']['post']['responses']['200']['headers']['X-Job-Id']['$ref']).toBe('#/components/headers/X-Job-Id')
    expect(b['paths']['/stream']['post']['responses']['200']['headers']['X-Job-Id']['$ref']).toBe('#/components/headers/X-Job-Id')
    expect(JSON.parse(JSON.stringify(b))).toEqual(b)
    expect(b['info']).toMatchObject({ title: 'edgepod worker', version: '0.1.0' })
    expect(documentOf({ auth: false, title: 'tokens', version: '2.3.4' })['info']).toMatchObject({ title: 'tokens', version: '2.3.4' })
  })
})

function bodySchema(doc: Doc, path: string): string {
  const body = deref(doc, `/paths/${escape(path)}/post/requestBody`)
  return `${body.pointer}/content/application~1json/schema`
}

async function parseEvents(response: Response): Promise<EventSourceMessage[]> {
  const parsed: EventSourceMessage[] = []
  const stream = response.body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream())
  for await (const event of stream) parsed.push(event)
  return parsed
}

/** An event against `SSEEvent`, and its data against its event's `contentSchema` (which Ajv does not apply). */
function checkEvent(check: ReturnType<typeof schemaChecker>, event: EventSourceMessage): unknown[] {
  const name = `SSE${event.event!.charAt(0).toUpperCase()}${event.event!.slice(1)}Event`
  return [
    ...check('/components/schemas/SSEEvent', { id: event.id, event: event.event, data: event.data }),
    ...check(`/components/schemas/${name}/properties/data/contentSchema`, JSON.parse(event.data)),
  ]
}

describe('the document matches what a worker answers', () => {
  const doc = documentOf({ auth: true })
  const check = schemaChecker(doc)
  const host = 'http://edgepod.test'
  const worker = (config: Partial<WorkerConfig> = {}) =>
    start({
      apiKey: 'key',
      returnAggregateStream: true,
      handler: async function* (job) {
        if ((job.input as { fail?: boolean }).fail) throw new TypeError('asked to fail')
        job.progress({ percent: 50 })
        job.log('warming up', 'warn')
        yield 'token 0'
        yield { text: 'token 1' }
      },
      ...config,
    })
  const auth = { authorization: 'Bearer key' }

  /** Sends the request and checks the answer against what the document says of `template`. */
  async function call(
    w: ReturnType<typeof worker>,
    method: 'GET' | 'POST',
    template: string,
    path: string,
    init: { body?: string; headers?: Record<string, string> } = {}
  ): Promise<{ status: number; body: any; response: Response }> {
    const response = await w.fetch(new Request(host + path, { method, body: init.body, headers: { ...auth, ...init.headers } }))
    const status = response.status
    const type = response.headers.get('content-type') ?? ''
    if (status === 204) return { status, body: undefined, response }
    if (type.startsWith('text/event-stream')) {
      const events = await parseEvents(response)
      for (const event of events) expect(checkEvent(check, event), `${event.event} of ${method} ${path}`).toEqual([])
      expect(answerSchema(doc, template, method.toLowerCase(), status, 'text/event-stream')).toBeTruthy()
      expect(response.headers.get('x-job-id')).toBeTruthy()
      return { status, body: events, response }
    }
    const body = await response.json()
    const pointer = status === 405 ? '/components/responses/MethodNotAllowed/content/application~1json/schema' : answerSchema(doc, template, method.toLowerCase(), status)
    expect(check(pointer, body), `${status} of ${method} ${path}: ${JSON.stringify(body)}`).toEqual([])
    return { status, body, response }
  }

  it('(the checker refuses answers that break the schemas)', () => {
    const status = answerSchema(doc, '/status/{id}', 'get', 200)
    expect(check(status, { id: 'x', status: 'COMPLETED', delayTime: 0, executionTime: 0 })).toEqual([])
    expect(check(status, { id: 'x', status: 'DONE', delayTime: 0, executionTime: 0 })).not.toEqual([])
    expect(check(status, { id: 'x', status: 'COMPLETED', delayTime: 0 })).not.toEqual([])
    // Each error answer allows only its own codes.
    const badRequest = answerSchema(doc, '/run', 'post', 400)
    expect(check(badRequest, { error: 'no', code: 'missing_input' })).toEqual([])
    expect(check(badRequest, { error: 'no', code: 'job_not_found' })).not.toEqual([])
    const done = '/components/schemas/SSEDoneEvent/properties/data/contentSchema'
    expect(check(done, { id: 'x', status: 'COMPLETED', delayTime: 0, executionTime: 0, output: 1 })).not.toEqual([])
  })

  it('for the job routes, under both prefixes', async () => {
    const w = worker()
    for (const prefix of ['', '/v2/endpoint-1']) {
      const t = (path: string) => (prefix ? '/v2/{endpointId}' : '') + path
      const body = JSON.stringify({ input: {}, policy: { ttl: 60_000, lowPriority: null }, webhook: null })
      const run = await call(w, 'POST', t('/run'), `${prefix}/run`, { body })
      expect(run.status).toBe(200)
      const id: string = run.body.id
      const sync = await call(w, 'POST', t('/runsync'), `${prefix}/runsync?wait=5000`, { body })
      expect(sync.body).toMatchObject({ status: 'COMPLETED', output: ['token 0', { text: 'token 1' }], progress: { percent: 50 } })
      await call(w, 'GET', t('/status-sync/{id}'), `${prefix}/status-sync/${id}?wait=5000`)
      await call(w, 'GET', t('/status-sync/{id}'), `${prefix}/status-sync/${id}?wait=5000&logs=true`)
      for (const method of ['GET', 'POST'] as const) {
        await call(w, method, t('/status/{id}'), `${prefix}/status/${id}`)
        const logged = await call(w, method, t('/status/{id}'), `${prefix}/status/${id}?logs=1`)
        expect(logged.body.logs).toEqual([{ message: 'warming up', level: 'warn', time: expect.any(Number), seq: 2 }])
        await call(w, method, t('/stream/{id}'), `${prefix}/stream/${id}?after=0`)
        await call(w, method, t('/stream/{id}'), `${prefix}/stream/${id}`)
        const events = await call(w, method, t('/stream/{id}'), `${prefix}/stream/${id}`, { headers: { accept: 'text/event-stream' } })
        expect(events.body.map((e: EventSourceMessage) => e.event)).toEqual(['progress', 'log', 'output', 'output', 'done'])
        const after = await call(w, method, t('/stream/{id}'), `${prefix}/stream/${id}?lastEventId=5`, { headers: { accept: 'text/event-stream' } })
        expect(after.status).toBe(204)
      }
      const streamed = await call(w, 'POST', t('/stream'), `${prefix}/stream`, { body })
      expect(streamed.body.at(-1).event).toBe('done')
      await call(w, 'POST', t('/cancel/{id}'), `${prefix}/cancel/${id}`)
      const failed = await call(w, 'POST', t('/runsync'), `${prefix}/runsync`, { body: JSON.stringify({ input: { fail: true } }) })
      expect(failed.body).toMatchObject({ status: 'FAILED', errorDetail: { type: 'TypeError' } })
      const retried = await call(w, 'POST', t('/retry/{id}'), `${prefix}/retry/${failed.body.id}`)
      expect(retried.body).toEqual({ id: failed.body.id, status: 'IN_QUEUE' })
      await call(w, 'POST', t('/purge-queue'), `${prefix}/purge-queue`)
      await call(w, 'GET', t('/health'), `${prefix}/health`)
    }
  })

  it('for a worker with an input schema, whose /openapi.json is this document', async () => {
    const schema = z.object({ prompt: z.string().min(1), count: z.number().int().optional() })
    const w = worker({ schema })
    const served = await call(w, 'GET', '/openapi.json', '/openapi.json')
    expect(await validate(served.body)).toEqual({ valid: true })
    expect(served.body).toEqual(
      openApiDocument({ routes, auth: true, inputSchema: schema['~standard'].jsonSchema.input({ target: 'draft-2020-12' }) })
    )
    const v2 = await call(w, 'GET', '/v2/{endpointId}/openapi.json', '/v2/e/openapi.json')
    expect(v2.body).toEqual(served.body)
    // The served document's own input schema accepts what the worker accepts, and refuses what it refuses.
    const own = schemaChecker(served.body)
    expect(own('/components/schemas/JobRequest', { input: { prompt: 'hi', count: 2 } })).toEqual([])
    expect(own('/components/schemas/JobRequest', { input: { prompt: '' } })).not.toEqual([])
    expect((await call(w, 'POST', '/run', '/run', { body: '{"input":{"prompt":"hi","count":2}}' })).status).toBe(200)
    const refused = await call(w, 'POST', '/run', '/run', { body: '{"input":{"prompt":""}}' })
    expect(refused.body).toMatchObject({ code: 'invalid_input', details: [{ path: ['input', 'prompt'] }] })
  })

  it('for the error answers', async () => {
    const w = worker({ maxBodyBytes: 100, maxSyncBodyBytes: 150 })
    const codeOf = async (...args: Parameters<typeof call>) => {
      const { status, body } = await call(...args)
      return `${status} ${body.code}`
    }
    expect(await codeOf(w, 'POST', '/run', '/run', { body: '{nope' })).toBe('400 invalid_json')
    expect(await codeOf(w, 'POST', '/run', '/run', { body: '{}' })).toBe('400 missing_input')
    expect(await codeOf(w, 'POST', '/run', '/run', { body: '{"input":1,"policy":{"ttl":0}}' })).toBe('400 invalid_input')
    expect(await codeOf(w, 'POST', '/runsync', '/runsync', { body: JSON.stringify({ input: 'x'.repeat(200) }) })).toBe('413 payload_too_large')
    const done = await call(w, 'POST', '/runsync', '/runsync', { body: '{"input":{}}' })
    const id: string = done.body.id
    expect(await codeOf(w, 'GET', '/status-sync/{id}', `/status-sync/${id}?wait=soon`)).toBe('400 invalid_input')
    expect(await codeOf(w, 'GET', '/status/{id}', `/status/${id}?logs=yes`)).toBe('400 invalid_input')
    expect(await codeOf(w, 'GET', '/stream/{id}', `/stream/${id}`, { headers: { accept: 'text/event-stream', 'last-event-id': 'x' } })).toBe(
      '400 invalid_input'
    )
    expect(await codeOf(w, 'GET', '/status/{id}', '/status/unknown')).toBe('404 job_not_found')
    expect(await codeOf(w, 'GET', '/health', '/health', { headers: { authorization: 'Bearer wrong' } })).toBe('401 unauthorized')
    expect(await codeOf(w, 'POST', '/retry/{id}', `/retry/${id}`)).toBe('409 invalid_state')
    const issues = await call(w, 'POST', '/run', '/run', { body: '{"input":1,"policy":{"ttl":0,"lowPriority":"yes"}}' })
    expect(issues.body.details).toEqual([
      { path: ['policy', 'ttl'], message: expect.any(String) },
      { path: ['policy', 'lowPriority'], message: expect.any(String) },
    ])
    const wrongMethod = await call(w, 'GET', '/run', '/run')
    expect(`${wrongMethod.status} ${wrongMethod.body.code} ${wrongMethod.response.headers.get('allow')}`).toBe('405 method_not_allowed POST')
  })
})

/** A pattern matching `n` as a whole number in text (so 7 is not found in 1_700 or 10000). */
const numberIn = (n: number) => new RegExp(`(^|[^0-9])${n}([^0-9]|$)`)

/** Expects every place of `doc` that tells a limit to tell `limits`' value, and (with `not`) none to tell `not`'s. */
function expectTells(doc: Doc, limits: WorkerLimits, not?: WorkerLimits) {
  const told = (n: number, other: number | undefined, text: string, where: string) => {
    expect(text, `${where} names ${n}`).toMatch(numberIn(n))
    if (other !== undefined && other !== n) expect(text, `${where} does not name ${other}`).not.toMatch(numberIn(other))
  }
  expect(doc['info']['x-edgepod-limits']).toEqual(limits)
  const policy = doc['components']['schemas']['JobPolicy']['properties']
  expect(policy['executionTimeout']['default']).toBe(limits.executionTimeout)
  expect(policy['ttl']['default']).toBe(limits.ttl)
  for (const prefix of PREFIXES) {
    told(limits.disconnectGrace, not?.disconnectGrace, doc['paths'][`${prefix}/stream`]['post']['description'], `POST ${prefix}/stream`)
    expect(doc['paths'][`${prefix}/stream`]['post']['description']).toContain(`${limits.disconnectGrace} ms`)
    // The `wait` each polled read documents, found from the operation as a reader would.
    for (const method of ['get', 'post']) {
      const params = doc['paths'][`${prefix}/stream/{id}`][method]['parameters'].map((p: Doc) => deref(doc, p['$ref'].slice(1)).node)
      const wait = params.find((p: Doc) => p['in'] === 'query' && p['name'] === 'wait')
      expect(wait['schema']['default'], `${method} ${prefix}/stream/{id} wait`).toBe(limits.streamPollWait)
    }
    // The sync waits are RunPod's, not the worker's.
    const sync = doc['paths'][`${prefix}/runsync`]['post']['parameters'].map((p: Doc) => deref(doc, p['$ref'].slice(1)).node)
    expect(sync.find((p: Doc) => p['name'] === 'wait')['schema']['default']).toBe(SYNC_WAIT.default)
  }
  const responses = doc['components']['responses']
  told(limits.maxQueue, not?.maxQueue, responses['QueueFull']['description'], 'QueueFull')
  told(limits.maxBodyBytes, not?.maxBodyBytes, responses['PayloadTooLarge']['description'], 'PayloadTooLarge')
  told(limits.maxSyncBodyBytes, not?.maxSyncBodyBytes, responses['PayloadTooLarge']['description'], 'PayloadTooLarge')
  told(limits.keepAlive, not?.keepAlive, doc['components']['schemas']['SSEStream']['description'], 'SSEStream')
  expect(doc['components']['schemas']['SSEStream']['description']).toContain(`${limits.keepAlive} ms`)
}

describe("the document tells the worker's own configuration", () => {
  const own: WorkerLimits = {
    executionTimeout: 1234,
    ttl: 5678,
    disconnectGrace: 999,
    keepAlive: 4321,
    streamPollWait: 250,
    maxBodyBytes: 2048,
    maxSyncBodyBytes: 4096,
    maxEventBytes: 100,
    maxResultBytes: 1000,
    maxQueue: 7,
  }
  const served = async (worker: ReturnType<typeof start>, path = '/openapi.json'): Promise<Doc> => {
    const response = await worker.fetch(new Request(`http://x${path}`))
    expect(response.status).toBe(200)
    return (await response.json()) as Doc
  }

  it('(the checks below can fail: each place that tells a limit is checked)', () => {
    const good = documentOf({ auth: false, limits: own })
    expectTells(good, own, DEFAULT_LIMITS)
    expect(() => expectTells(documentOf({ auth: false }), own)).toThrow()
    const broken: [string, (doc: Doc) => void][] = [
      ['x-edgepod-limits', (doc) => (doc['info']['x-edgepod-limits']['maxEventBytes'] = 1)],
      ['executionTimeout', (doc) => (doc['components']['schemas']['JobPolicy']['properties']['executionTimeout']['default'] = 1)],
      ['ttl', (doc) => (doc['components']['schemas']['JobPolicy']['properties']['ttl']['default'] = 1)],
      ['PollWait', (doc) => (doc['components']['parameters']['PollWait']['schema']['default'] = 1)],
      ['/stream', (doc) => (doc['paths']['/v2/{endpointId}/stream']['post']['description'] = 'gone for 30000 ms')],
      ['QueueFull', (doc) => (doc['components']['responses']['QueueFull']['description'] += ' (10000 by default)')],
      ['PayloadTooLarge', (doc) => (doc['components']['responses']['PayloadTooLarge']['description'] = '413: too large')],
      ['SSEStream', (doc) => (doc['components']['schemas']['SSEStream']['description'] = 'pings every 43210 ms')],
    ]
    for (const [where, breakIt] of broken) {
      const doc = structuredClone(good)
      breakIt(doc)
      expect(() => expectTells(doc, own, DEFAULT_LIMITS), where).toThrow()
    }
  })

  it('a worker started with its own limits serves them, not the defaults', async () => {
    const worker = start({ handler: () => 1, ...own })
    for (const path of ['/openapi.json', '/v2/e/openapi.json']) {
      const doc = await served(worker, path)
      expect(await validate(doc)).toEqual({ valid: true })
      expectTells(doc, own, DEFAULT_LIMITS)
      // Exactly the document of the route table with those limits.
      expect(doc).toEqual(documentOf({ auth: false, limits: own }))
    }
  })

  it('a worker with an API key and its own limits serves them too', async () => {
    const worker = start({ handler: () => 1, apiKey: 'k', ...own })
    const response = await worker.fetch(new Request('http://x/openapi.json', { headers: { authorization: 'Bearer k' } }))
    const doc = (await response.json()) as Doc
    expect(await validate(doc)).toEqual({ valid: true })
    expectTells(doc, own, DEFAULT_LIMITS)
    expect(doc['security']).toEqual([{ bearerAuth: [] }])
  })

  it('a worker started with no such options serves the defaults of limits.ts', async () => {
    const doc = await served(start({ handler: () => 1 }))
    expect(await validate(doc)).toEqual({ valid: true })
    expectTells(doc, DEFAULT_LIMITS, own)
    expect(doc).toEqual(documentOf({ auth: false }))
  })

  it('openApiDocument tells the defaults of limits.ts without `limits`, and `limits` when given', async () => {
    expectTells(documentOf({ auth: false }), DEFAULT_LIMITS, own)
    const doc = documentOf({ auth: true, limits: own })
    expect(await validate(doc)).toEqual({ valid: true })
    expectTells(doc, own, DEFAULT_LIMITS)
  })
})

describe('the route table is the single source of the routes', () => {
  const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const
  /** A route's path in OpenAPI's template syntax, and with a value for each parameter. */
  const templateOf = (path: string) => path.replace(/:(\w+)/g, '{$1}')
  const concrete = (path: string) => path.replace(/:(\w+)/g, 'some-$1')

  it('(the table has the routes of docs/protocol.md)', () => {
    expect(Object.fromEntries(routes.map((route) => [templateOf(route.path), route.methods.map((m) => m.toLowerCase()).sort()]))).toEqual(
      Object.fromEntries(Object.entries(PROTOCOL_ROUTES).map(([path, methods]) => [path, [...methods].sort()]))
    )
  })

  it.each([false, true])('the document has every route of the table under both prefixes, with exactly its methods (auth: %s)', (auth) => {
    const doc = documentOf({ auth })
    const expected = PREFIXES.flatMap((prefix) =>
      routes.flatMap((route) => route.methods.map((method) => `${method} ${prefix}${templateOf(route.path)}`))
    )
    expect(operations(doc).map(([path, method]) => `${method.toUpperCase()} ${path}`).sort()).toEqual(expected.sort())
    expect(Object.keys(doc['paths']).sort()).toEqual(PREFIXES.flatMap((prefix) => routes.map((route) => prefix + templateOf(route.path))).sort())
    for (const route of routes) {
      for (const prefix of PREFIXES) {
        const item = doc['paths'][prefix + templateOf(route.path)]
        expect(item['description'], `${prefix}${route.path}`).toContain(`Allow: ${route.methods.join(', ')}\``)
        for (const method of route.methods) {
          expect(item[method.toLowerCase()]['summary']).toBe(route.doc.summary)
        }
      }
    }
  })

  it('the app serves every route of the table, and answers 405 with its methods for the others, on every path', async () => {
    const doc = documentOf({ auth: false })
    const check = schemaChecker(doc)
    const worker = start({ handler: () => 1 })
    for (const route of routes) {
      for (const [prefix, template] of [['', ''], ['/v2/endpoint-1', '/v2/{endpointId}']]) {
        const path = prefix + concrete(route.path)
        // The route's own methods reach its handler: no routing refusal (a missing job, a missing body is the handler's).
        for (const method of route.methods) {
          const response = await worker.fetch(new Request(`http://x${path}`, { method }))
          const body = response.headers.get('content-type')?.startsWith('application/json') ? await response.json() : undefined
          expect(response.status, `${method} ${path}`).not.toBe(405)
          expect(body?.code, `${method} ${path}`).not.toBe('not_found')
        }
        for (const method of METHODS.filter((m) => !(route.methods as readonly string[]).includes(m))) {
          const response = await worker.fetch(new Request(`http://x${path}`, { method }))
          const body = await response.json()
          // The OpenAI-compatible routes refuse in OpenAI's shape, which its SDKs read.
          const openai = route.doc.tag === 'openai'
          expect(`${response.status} ${openai ? body.error.code : body.code}`, `${method} ${path}`).toBe('405 method_not_allowed')
          expect(response.headers.get('allow')?.split(', ').sort(), `Allow of ${method} ${path}`).toEqual([...route.methods].sort())
          if (!openai) expect(check('/components/responses/MethodNotAllowed/content/application~1json/schema', body)).toEqual([])
          // What the document says of the path is what the app answers.
          expect(doc['paths'][template + templateOf(route.path)]['description']).toContain(`Allow: ${response.headers.get('allow')}\``)
        }
      }
    }
  })
})

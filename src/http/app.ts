/**
 * The Hono app that serves RunPod's job API over a {@link JobEngine}, at the root and under
 * `/v2/:endpointId/` so RunPod clients pointed at `http://host/v2` work unchanged.
 * @module
 */
import type { StandardSchemaV1 } from '@standard-schema/spec'
import { Hono } from 'hono'
import type { Context, Handler } from 'hono'
import type { JobEngine } from '../engine/engine.ts'
import type { JobRecord } from '../engine/job-record.ts'
import { HttpError, isHttpError } from '../errors.ts'
import type { ExecutionContextLike } from '../types.ts'
import { isTerminal } from '../types.ts'
import { apiKeysFor, bearerAuth } from './auth.ts'
import type { CorsOptions } from './cors.ts'
import { corsMiddleware } from './cors.ts'
import { acceptsEventStream, parseCount, parseWait } from './params.ts'
import { readJobRequest } from './request-body.ts'
import { inputJsonSchemaOf, validatedInput } from './validate-input.ts'
import { openApiDocument } from './openapi.ts'
import type { JobRequest } from '../types.ts'
import { sseHeaders } from './sse.ts'
import { sseStreamOf } from './sse-stream.ts'
import type { LazySignal } from '../engine/wait.ts'
import { waitForSignal } from '../engine/wait.ts'

/** The HTTP-side settings of a worker. */
export interface AppOptions {
  /** SSE keep-alive interval, ms. */
  keepAlive: number
  /** Largest accepted request body, bytes. */
  maxBodyBytes: number
  /** Accepted API keys; none means no authentication. */
  apiKeys: readonly string[]
  /** How long a polled `/stream/:id` read waits for a new event before answering empty, ms. */
  streamPollWait: number
  exposeErrorStack: boolean
  /** The input validator, if any. */
  schema: StandardSchemaV1 | undefined
  /** Browser origins allowed to call the worker; none when undefined. */
  cors: CorsOptions | undefined
}

const DEFAULT_SYNC_WAIT = 90_000
const MAX_SYNC_WAIT = 300_000
const JSON_HEADERS = { 'Content-Type': 'application/json; charset=utf-8' } as const

const jsonText = (text: string, status = 200) => new Response(text, { status, headers: JSON_HEADERS })
const json = (value: unknown, status = 200) => jsonText(JSON.stringify(value), status)

/** Reads, checks and validates the job request of `/run`, `/runsync` and `POST /stream`. */
async function jobRequestOf(c: Context, options: AppOptions): Promise<JobRequest> {
  const request = await readJobRequest(c.req.raw, options.maxBodyBytes)
  return { ...request, input: await validatedInput(options.schema, request.input) }
}

function executionCtxOf(c: Context): ExecutionContextLike | undefined {
  try {
    const executionCtx = c.executionCtx as ExecutionContextLike
    return executionCtx === NO_EXECUTION_CONTEXT ? undefined : executionCtx
  } catch {
    // Hono throws when the runtime passed no execution context (Node, Bun, Deno).
    return undefined
  }
}

/**
 * What a worker hands Hono when the runtime gave no execution context (Node, Bun, Deno), so that
 * reading it does not throw: building that error costs more than serving a small request.
 */
export const NO_EXECUTION_CONTEXT: ExecutionContextLike = Object.freeze({
  waitUntil() {},
  passThroughOnException() {},
})

interface Route {
  methods: string[]
  path: string
  handler: (engine: JobEngine, options: AppOptions) => Handler
}

const routes: Route[] = [
  {
    methods: ['POST'],
    path: '/run',
    handler: (engine, options) => async (c) => {
      const request = await jobRequestOf(c, options)
      const record = engine.submit(request, { env: c.env, executionCtx: executionCtxOf(c) })
      // Every job enters through the queue; what it does next is for /status to say.
      return json({ id: record.id, status: 'IN_QUEUE' })
    },
  },
  {
    methods: ['POST'],
    path: '/runsync',
    handler: (engine, options) => async (c) => {
      const wait = parseWait(c.req.query('wait'), DEFAULT_SYNC_WAIT, MAX_SYNC_WAIT)
      const request = await jobRequestOf(c, options)
      const record = engine.submit(request, { env: c.env, executionCtx: executionCtxOf(c) })
      await engine.waitForEnd(record, wait, () => c.req.raw.signal)
      return jsonText(engine.statusJson(record))
    },
  },
  {
    methods: ['POST'],
    path: '/stream',
    handler: (engine, options) => async (c) => {
      const request = await jobRequestOf(c, options)
      const record = engine.submit(request, { origin: 'stream', env: c.env, executionCtx: executionCtxOf(c) })
      return sseResponse(engine, record, 0, options, c.req.raw.method)
    },
  },
  {
    methods: ['GET', 'POST'],
    path: '/stream/:id',
    handler: (engine, options) => async (c) => {
      const record = engine.require(c.req.param('id') ?? '')
      if (acceptsEventStream(c.req.header('accept') ?? null)) {
        const after = parseCount(c.req.header('last-event-id') ?? c.req.query('lastEventId'), 'Last-Event-ID', 0)
        const { done, lastSeq } = record.log
        // The reader has seen `done`: 204 tells EventSource to stop reconnecting.
        if (done && after === lastSeq) return new Response(null, { status: 204 })
        // A reader past the end of an ended job saw events the log no longer has (a Durable
        // Object that restarted before its last batch was written): it still gets the `done`.
        return sseResponse(engine, record, done && after > lastSeq ? lastSeq - 1 : after, options, c.req.raw.method)
      }
      const afterParam = c.req.query('after')
      const after = afterParam === undefined ? undefined : parseCount(afterParam, 'after', 0)
      const wait = parseWait(c.req.query('wait'), options.streamPollWait, MAX_SYNC_WAIT)
      engine.touch(record)
      await waitForNews(record, after ?? record.drainSeq, wait, () => c.req.raw.signal)
      return jsonText(polledStreamJson(engine, record, after))
    },
  },
  {
    methods: ['GET', 'POST'],
    path: '/status/:id',
    handler: (engine) => (c) => jsonText(engine.statusJson(engine.require(c.req.param('id') ?? ''))),
  },
  {
    methods: ['GET'],
    path: '/status-sync/:id',
    handler: (engine) => async (c) => {
      const record = engine.require(c.req.param('id') ?? '')
      const wait = parseWait(c.req.query('wait'), DEFAULT_SYNC_WAIT, MAX_SYNC_WAIT)
      await engine.waitForEnd(record, wait, () => c.req.raw.signal)
      return jsonText(engine.statusJson(record))
    },
  },
  {
    methods: ['POST'],
    path: '/cancel/:id',
    handler: (engine) => (c) => {
      const record = engine.require(c.req.param('id') ?? '')
      engine.cancel(record)
      return jsonText(engine.statusJson(record, false))
    },
  },
  {
    methods: ['POST'],
    path: '/retry/:id',
    handler: (engine) => (c) => {
      const record = engine.require(c.req.param('id') ?? '')
      engine.retry(record, executionCtxOf(c))
      return json({ id: record.id, status: 'IN_QUEUE' })
    },
  },
  {
    methods: ['POST'],
    path: '/purge-queue',
    handler: (engine) => () => json({ removed: engine.purgeQueue(), status: 'completed' }),
  },
  {
    methods: ['GET'],
    path: '/health',
    handler: (engine) => () => json(engine.health()),
  },
  {
    methods: ['GET'],
    path: '/openapi.json',
    handler: (_engine, options) => {
      // Built once for each answer to "are keys required?", which env keys can make per request.
      const documents = new Map<boolean, string>()
      return (c) => {
        const auth = apiKeysFor(c, options.apiKeys).length > 0
        let document = documents.get(auth)
        if (!document) {
          document = JSON.stringify(openApiDocument({ inputSchema: inputJsonSchemaOf(options.schema), auth }))
          documents.set(auth, document)
        }
        return jsonText(document)
      }
    },
  },
]

function sseResponse(engine: JobEngine, record: JobRecord, after: number, options: AppOptions, method: string): Response {
  const headers = { ...sseHeaders, 'X-Job-Id': record.id }
  // Hono answers HEAD by dropping the GET body unread: open no stream, or its reader never leaves.
  if (method === 'HEAD') return new Response(null, { headers })
  const body = sseStreamOf(record, engine, { after, keepAlive: options.keepAlive })
  return new Response(body, { headers })
}

/** Waits until the log has something after `seq`, the job ends, or `ms` passes. */
function waitForNews(record: JobRecord, seq: number, ms: number, signal: LazySignal): Promise<void> {
  if (ms <= 0 || record.log.lastSeq > seq || isTerminal(record.status)) return Promise.resolve()
  return waitForSignal((wake) => record.log.onAppend(wake), ms, signal)
}

/**
 * RunPod's polled stream: the outputs no earlier draining read returned, or, with `?after=`, the
 * outputs after that seq without draining (and the cursor to pass next time).
 */
function polledStreamJson(engine: JobEngine, record: JobRecord, after: number | undefined): string {
  const { log } = record
  const from = after ?? record.drainSeq
  const outputs: string[] = []
  for (const event of log.after(from)) if (event.type === 'output') outputs.push(`{"output":${event.json}}`)
  const cursor = log.lastSeq
  if (after === undefined) engine.markDrained(record, cursor)
  let text = `{"id":${JSON.stringify(record.id)},"status":"${record.status}","stream":[${outputs.join(',')}]`
  if (after !== undefined) text += `,"cursor":${cursor}`
  if (record.error) text += `,"error":${JSON.stringify(record.error.message)}`
  return `${text}}`
}

function pathPattern(path: string): RegExp {
  return new RegExp(`^(?:/v2/[^/]+)?${path.replace(/:[a-z]+/gi, '[^/]+')}$`)
}

const routePatterns = routes.map((route) => ({ methods: route.methods, pattern: pathPattern(route.path) }))

/** Builds the app: authentication (when keys are set), every route twice, and JSON errors. */
export function createApp(engine: JobEngine, options: AppOptions): Hono {
  const api = new Hono()
  for (const route of routes) api.on(route.methods, route.path, route.handler(engine, options))

  const app = new Hono()
  // Before authentication: a browser's preflight never carries the key.
  if (options.cors) app.use('*', corsMiddleware(options.cors))
  app.use('*', bearerAuth(options.apiKeys))
  app.route('/', api)
  app.route('/v2/:endpointId', api)

  app.notFound((c) => {
    const path = new URL(c.req.url).pathname
    const allowed = routePatterns.filter((route) => route.pattern.test(path)).flatMap((route) => route.methods)
    if (allowed.length === 0) return new HttpError('not_found', `no route for ${c.req.method} ${path}`).toResponse()
    return new HttpError('method_not_allowed', `${c.req.method} is not allowed on ${path}; use ${allowed.join(' or ')}`, {
      headers: { Allow: allowed.join(', ') },
    }).toResponse()
  })
  app.onError((error) => {
    if (isHttpError(error)) return error.toResponse()
    console.error('edgepod: internal error', error)
    const message = options.exposeErrorStack && error instanceof Error ? (error.stack ?? error.message) : 'internal error'
    return new HttpError('internal', message).toResponse()
  })
  return app
}

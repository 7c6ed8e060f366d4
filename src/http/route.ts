/**
 * What a route is: its path and methods, its handler, and its OpenAPI description, in one entry of
 * the route table, so that registration, the 405 answers and `/openapi.json` cannot disagree.
 * @module
 */
import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { Context, Handler } from 'hono'
import type { JobEngine } from '../engine/engine.ts'
import type { ExecutionContextLike, JobRequest } from '../types.ts'
import type { WorkerLimits } from '../limits.ts'
import type { CorsOptions } from './cors.ts'
import type { ErrorAnswerName } from './openapi-errors.ts'
import type { Json } from './openapi-schemas.ts'
import { readJobRequest } from './request-body.ts'
import { validatedInput } from './validate-input.ts'

export type { WorkerLimits } from '../limits.ts'

/** The HTTP-side settings of a worker. */
export interface AppOptions {
  /** SSE keep-alive interval, ms. */
  keepAlive: number
  /** Largest accepted request body, bytes. */
  maxBodyBytes: number
  /** `/runsync`'s own, larger limit. */
  maxSyncBodyBytes: number
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

/** What a route's handler is made from: the worker it serves, and the table it is part of. */
export interface RouteContext {
  engine: JobEngine
  options: AppOptions
  routes: readonly Route[]
}

/** The methods routes take. */
export type Method = 'GET' | 'POST'

/** A route's OpenAPI description. */
export interface RouteDoc {
  /** The operationId stem; the method (when a path has several) and the `v2` prefix make it unique. */
  name: string
  tag: 'jobs' | 'streams' | 'worker' | 'openai'
  summary: string
  description: string | ((limits: WorkerLimits) => string)
  /** Names in `components.parameters`; `EndpointId` is added under `/v2`. */
  parameters?: readonly string[]
  /** Takes a job request body. */
  jobRequest?: boolean
  /** The answers other than errors. */
  responses: Json
  /** It never reads the store (`/openapi.json`, `/ping`): a store that is down cannot refuse it. */
  storeFree?: boolean
  /** Error answers besides `InternalError` (every route) and `Unauthorized` (with auth). */
  errors: readonly ErrorAnswerName[]
}

/** One route of docs/protocol.md. */
export interface Route {
  /** The path at the root, in Hono's syntax (`/stream/:id`); it is served under `/v2/:endpointId` too. */
  path: string
  methods: readonly Method[]
  /** It creates a job (`/run`, `/runsync`, `POST /stream`, the OpenAI routes): on Cloudflare, the Worker sends it to a new job's object. */
  submits?: boolean
  /** Makes the route's handler for one worker. */
  handler: (context: RouteContext) => Handler
  doc: RouteDoc
}

const JSON_HEADERS = { 'Content-Type': 'application/json; charset=utf-8' } as const

/** A JSON answer from JSON text already made. */
export const jsonText = (text: string, status = 200, headers?: Record<string, string>) =>
  new Response(text, { status, headers: headers ? { ...JSON_HEADERS, ...headers } : JSON_HEADERS })

/** A JSON answer. */
export const json = (value: unknown, status = 200) => jsonText(JSON.stringify(value), status)

/** The route's `:id`. */
export const idOf = (c: Context): string => c.req.param('id') ?? ''

/** Reads, checks and validates the job request of `/run`, `/runsync` and `POST /stream`. */
export async function jobRequestOf(c: Context, options: AppOptions, sync = false): Promise<JobRequest> {
  const limit = sync ? { maxBytes: options.maxSyncBodyBytes, option: 'maxSyncBodyBytes' } : { maxBytes: options.maxBodyBytes, option: 'maxBodyBytes' }
  const request = await readJobRequest(c.req.raw, limit.maxBytes, limit.option)
  return { ...request, input: await validatedInput(options.schema, request.input) }
}

/**
 * What a worker hands Hono when the runtime gave no execution context (Node, Bun, Deno), so that
 * reading it does not throw: building that error costs more than serving a small request.
 */
export const NO_EXECUTION_CONTEXT: ExecutionContextLike = Object.freeze({
  waitUntil() {},
  passThroughOnException() {},
})

/** The request's execution context, when the runtime gave one (Workers). */
export function executionCtxOf(c: Context): ExecutionContextLike | undefined {
  try {
    const executionCtx = c.executionCtx as ExecutionContextLike
    return executionCtx === NO_EXECUTION_CONTEXT ? undefined : executionCtx
  } catch {
    // Hono throws when the runtime passed no execution context (Node, Bun, Deno).
    return undefined
  }
}

/**
 * The Hono app that serves RunPod's job API over a {@link JobEngine}: the route table registered at
 * the root and under `/v2/:endpointId/` (so RunPod clients pointed at `http://host/v2` work
 * unchanged), authentication and CORS before it, and every refusal as JSON.
 * @module
 */
import { Hono } from 'hono'
import type { JobEngine } from '../engine/engine.ts'
import { internalError, isWorkerError, WorkerError } from '../errors.ts'
import { bearerAuth } from './auth.ts'
import { corsMiddleware } from './cors.ts'
import { errorResponse } from './http-error.ts'
import { openAIErrorResponse } from './openai/openai-errors.ts'
import { OPENAI_PATH } from './routes/openai.ts'
import type { AppOptions, Route } from './route.ts'
import { routes } from './routes/index.ts'

export type { AppOptions } from './route.ts'
export { NO_EXECUTION_CONTEXT } from './route.ts'

/** A pattern of a route's path, at the root or under `/v2/<any endpoint id>`. */
function pathPattern(path: string): RegExp {
  return new RegExp(`^(?:/v2/[^/]+)?${path.replace(/:[a-z]+/gi, '[^/]+')}$`)
}

/** Under the OpenAI-compatible routes, refusals take OpenAI's shape, which its SDKs read. */
const OPENAI_PATTERN = new RegExp(`^(?:/v2/[^/]+)?${OPENAI_PATH}(?:/|$)`)

/** The answer of a refused request, in the shape its route's clients read. */
function refused(path: string, error: WorkerError, headers?: Record<string, string>): Response {
  return OPENAI_PATTERN.test(path) ? openAIErrorResponse(error, headers) : errorResponse(error, headers)
}

/** The methods the table allows on `path`; none when no route has it. */
function allowedOn(table: readonly { methods: readonly string[]; pattern: RegExp }[], path: string): string[] {
  return table.filter((route) => route.pattern.test(path)).flatMap((route) => route.methods)
}

/** Builds the app: authentication (when keys are set), every route twice, and JSON errors. */
export function createApp(engine: JobEngine, options: AppOptions, table: readonly Route[] = routes): Hono {
  const api = new Hono()
  for (const route of table) api.on([...route.methods], route.path, route.handler({ engine, options, routes: table }))
  const patterns = table.map((route) => ({ methods: route.methods, pattern: pathPattern(route.path) }))

  const app = new Hono()
  // Before authentication: a browser's preflight never carries the key.
  if (options.cors) app.use('*', corsMiddleware(options.cors))
  // Every request may be the first: it starts the worker's setup (with its env) if none has. A
  // worker without one pays nothing for it on its requests.
  if (engine.options.setup) {
    app.use('*', async (c, next) => {
      engine.readiness.start(c.env)
      await next()
    })
  }
  app.use('*', bearerAuth(options.apiKeys))
  app.route('/', api)
  app.route('/v2/:endpointId', api)

  app.notFound((c) => {
    const path = new URL(c.req.url).pathname
    const allowed = allowedOn(patterns, path)
    if (allowed.length === 0) return refused(path, new WorkerError('not_found', `no route for ${c.req.method} ${path}`))
    const message = `${c.req.method} is not allowed on ${path}; use ${allowed.join(' or ')}`
    return refused(path, new WorkerError('method_not_allowed', message), { Allow: allowed.join(', ') })
  })
  app.onError((error, c) => {
    const path = new URL(c.req.url).pathname
    if (isWorkerError(error)) return refused(path, error)
    console.error('edgepod: internal error', error)
    const message = options.exposeErrorStack && error instanceof Error ? (error.stack ?? error.message) : undefined
    return refused(path, internalError(message))
  })
  return app
}

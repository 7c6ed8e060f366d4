/**
 * The Node HTTP server edgepod serves a worker with, unstarted: `serve()` listens with it, and
 * `edgepod dev`'s worker process feeds it the connections its supervisor accepts.
 * @module
 */
import { getRequestListener, RequestError } from '@hono/node-server'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { refusal } from '../../http/http-error.ts'
import type { FetchHandler } from '../server.ts'

/** An HTTP server answering every request with `worker.fetch(request, env)`; not listening yet. */
export function createNodeServer(worker: FetchHandler, env: unknown): Server {
  const listener = getRequestListener((request: Request) => worker.fetch(request, env), { errorHandler: refusedRequest })
  // SSE streams are long-lived: Node's default 5-minute request timeout would cut them.
  return createServer({ requestTimeout: 0 }, listener)
}

/** Stops `server` accepting, ends its open connections, and resolves once it has closed. */
export function closeNodeServer(server: Server): Promise<void> {
  return new Promise<void>((done) => {
    server.close(() => done())
    server.closeAllConnections()
  })
}

/**
 * The answer to a request Node's adapter cannot turn into a `Request` (a backslash in the path, a
 * bad Host header): the same JSON error as any other refusal, where `@hono/node-server` would send
 * an empty 400. Anything else here escaped the app's own error handling.
 */
function refusedRequest(error: unknown): Response {
  if (error instanceof RequestError) return refusal('invalid_input', `the request is malformed: ${error.message}`)
  console.error('edgepod: internal error', error)
  return refusal('internal', 'internal error')
}

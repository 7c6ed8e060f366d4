/**
 * Serving a worker on Node through `@hono/node-server`. This is the only file that knows Node's
 * HTTP server; a client disconnect reaches the core as the response stream's `cancel()`.
 * @module
 */
import type { FetchHandler, RunningServer } from '../server.ts'
import { getRequestListener, RequestError } from '@hono/node-server'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { refusal } from '../../http/http-error.ts'

/** A running Node server: its port, its URL, and `close()`. */
export type NodeServer = RunningServer
export type { FetchHandler }

/** Options of {@link serve}. */
export interface ServeOptions {
  /** @default 8000, RunPod's local test server port; 0 picks a free one */
  port?: number | undefined
  /** @default '127.0.0.1' */
  hostname?: string | undefined
  /** Passed to the handler as `env` (the job's `job.env`). @default process.env */
  env?: unknown
}

/** Serves `worker` on Node's HTTP server; resolves once it is listening. */
export function serve(worker: FetchHandler, options: ServeOptions = {}): Promise<NodeServer> {
  const hostname = options.hostname ?? '127.0.0.1'
  const env = options.env ?? process.env
  const listener = getRequestListener((request: Request) => worker.fetch(request, env), { errorHandler: refusedRequest })
  // SSE streams are long-lived: Node's default 5-minute request timeout would cut them.
  const server = createServer({ requestTimeout: 0 }, listener)
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 8000, hostname, () => {
      const { port } = server.address() as AddressInfo
      const host = hostname.includes(':') ? `[${hostname}]` : hostname
      resolve({
        port,
        url: `http://${host}:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            server.closeAllConnections()
          }),
      })
    })
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

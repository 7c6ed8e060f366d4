/**
 * Serving a worker on Node through `@hono/node-server`. This is the only file that knows Node's
 * HTTP server; a client disconnect reaches the core as the response stream's `cancel()`.
 * @module
 */
import type { FetchHandler, RunningServer } from '../server.ts'
import { serve as serveWithHono } from '@hono/node-server'
import type { AddressInfo } from 'node:net'

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
  return new Promise((resolve, reject) => {
    const server = serveWithHono(
      {
        fetch: (request: Request) => worker.fetch(request, env),
        port: options.port ?? 8000,
        hostname,
        // SSE streams are long-lived: Node's default 5-minute request timeout would cut them.
        serverOptions: { requestTimeout: 0 },
      },
      (info: AddressInfo) => {
        const host = hostname.includes(':') ? `[${hostname}]` : hostname
        resolve({
          port: info.port,
          url: `http://${host}:${info.port}`,
          close: () =>
            new Promise<void>((done) => {
              server.close(() => done())
              ;(server as { closeAllConnections?: () => void }).closeAllConnections?.()
            }),
        })
      }
    )
    server.once('error', reject)
  })
}

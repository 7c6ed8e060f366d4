/**
 * Serving a worker on Node through `@hono/node-server` (the server itself is `http-server.ts`); a
 * client disconnect reaches the core as the response stream's `cancel()`.
 * @module
 */
import type { FetchHandler, RunningServer } from '../server.ts'
import type { AddressInfo } from 'node:net'
import { closeNodeServer, createNodeServer } from './http-server.ts'

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
  const server = createNodeServer(worker, env)
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 8000, hostname, () => {
      const { port } = server.address() as AddressInfo
      const host = hostname.includes(':') ? `[${hostname}]` : hostname
      resolve({
        port,
        url: `http://${host}:${port}`,
        close: () => closeNodeServer(server),
      })
    })
  })
}


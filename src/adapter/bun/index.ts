/**
 * Serving a worker on Bun through `Bun.serve`. This folder is the only code that knows Bun's HTTP
 * server; a client disconnect reaches the core as the response stream's `cancel()`.
 * @module
 */
import type { FetchHandler, RunningServer } from '../server.ts'
import type { BunServeOptions } from './runtime.ts'
import { bunGlobal } from './runtime.ts'

/** A running Bun server: its port, its URL, and `close()`. */
export type BunServer = RunningServer
export type { FetchHandler }

/** Options of {@link forBun}. */
export interface BunWorkerOptions {
  /** Passed to the handler as `env` (the job's `job.env`). @default Bun.env (= process.env) */
  env?: unknown
  /**
   * Seconds a connection may stay silent before Bun closes it; 0 means never, Bun allows at most
   * 255. Bun's own default of 10 s would cut a quiet SSE stream between two 15 s pings and a
   * `/runsync` waiting for a slow job (up to 300 s), so edgepod turns the limit off. The price:
   * idle keep-alive connections stay open too; 255 bounds them but cuts `/runsync?wait=` above it.
   * @default 0
   */
  idleTimeout?: number | undefined
  /** @default Bun's: `$PORT`, else 3000 */
  port?: number | undefined
  /** @default Bun's: '0.0.0.0' */
  hostname?: string | undefined
}

/** Options of {@link serve}. */
export interface ServeOptions extends BunWorkerOptions {
  /** @default 8000, RunPod's local test server port; 0 picks a free one */
  port?: number | undefined
  /** @default '127.0.0.1' */
  hostname?: string | undefined
}

/**
 * The default export `bun run worker.ts` serves: `export default forBun(worker)`. Exporting the
 * worker itself also runs, but then Bun cuts streams quiet for 10 s, and the handler's `env` is
 * Bun's `Server` (so `EDGEPOD_API_KEY` is not read); this passes `Bun.env` and no idle limit.
 */
export function forBun(worker: FetchHandler, options: BunWorkerOptions = {}): BunServeOptions {
  const env = options.env ?? bunGlobal().env
  return {
    fetch: (request) => worker.fetch(request, env),
    idleTimeout: options.idleTimeout ?? 0,
    // Absent keys, not `undefined` ones, so that Bun keeps its `$PORT` and hostname defaults.
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.hostname === undefined ? {} : { hostname: options.hostname }),
  }
}

/** Serves `worker` with `Bun.serve`; resolves once it is listening. */
export async function serve(worker: FetchHandler, options: ServeOptions = {}): Promise<BunServer> {
  const hostname = options.hostname ?? '127.0.0.1'
  const server = bunGlobal().serve(forBun(worker, { ...options, port: options.port ?? 8000, hostname }))
  const host = hostname.includes(':') ? `[${hostname}]` : hostname
  return {
    port: server.port,
    url: `http://${host}:${server.port}`,
    // `true` also ends open SSE streams, which would otherwise keep the server from stopping.
    close: () => server.stop(true),
  }
}

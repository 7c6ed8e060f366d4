/**
 * Serving a worker on Deno through `Deno.serve`. This folder is the only code that knows Deno's
 * HTTP server; a client disconnect reaches the core as the response stream's `cancel()`.
 * @module
 */
import type { FetchHandler, RunningServer } from '../server.ts'
import type { DenoGlobal, DenoServeHandlerInfo } from './runtime.ts'
import { denoGlobal } from './runtime.ts'

/** A running Deno server: its port, its URL, and `close()`. */
export type DenoServer = RunningServer
export type { FetchHandler }

/** Options of {@link forDeno}. */
export interface DenoWorkerOptions {
  /**
   * Passed to the handler as `env` (the job's `job.env`).
   * @default Deno.env.toObject() when run with --allow-env, else {}
   */
  env?: unknown
}

/** Options of {@link serve}. */
export interface ServeOptions extends DenoWorkerOptions {
  /** @default 8000, RunPod's local test server port; 0 picks a free one */
  port?: number | undefined
  /** @default '127.0.0.1' */
  hostname?: string | undefined
}

/** What `deno serve` needs from a module's default export. */
export interface DenoDefaultExport {
  fetch(request: Request, info: DenoServeHandlerInfo): Response | Promise<Response>
}

let cachedEnv: Record<string, string> | undefined

/** The process environment if Deno may read it, else `{}` and a warning; read once per process. */
function processEnv(deno: DenoGlobal): Record<string, string> {
  if (cachedEnv) return cachedEnv
  // Reading without the permission would prompt on a terminal and throw without one.
  if (deno.permissions.querySync({ name: 'env' }).state === 'granted') return (cachedEnv = deno.env.toObject())
  // Said aloud because the env is where EDGEPOD_API_KEY comes from: silence would turn auth off.
  console.warn('edgepod/deno: no --allow-env, so job.env is {} and EDGEPOD_API_KEY is not read')
  return (cachedEnv = {})
}

/**
 * The default export `deno serve worker.ts` serves: `export default forDeno(worker)`. Exporting the
 * worker itself also runs, but then the handler's `env` is Deno's connection info (so
 * `EDGEPOD_API_KEY` is not read); this passes the process environment.
 */
export function forDeno(worker: FetchHandler, options: DenoWorkerOptions = {}): DenoDefaultExport {
  const env = options.env ?? processEnv(denoGlobal())
  return { fetch: (request) => worker.fetch(request, env) }
}

/** Serves `worker` with `Deno.serve`; resolves once it is listening. */
export async function serve(worker: FetchHandler, options: ServeOptions = {}): Promise<DenoServer> {
  const deno = denoGlobal()
  const hostname = options.hostname ?? '127.0.0.1'
  const { fetch } = forDeno(worker, options)
  // `shutdown()` waits for every response to end, which an SSE stream may never do; aborting the
  // signal closes the open connections too.
  const stop = new AbortController()
  const server = deno.serve(
    { port: options.port ?? 8000, hostname, signal: stop.signal, onListen: () => {} },
    fetch
  )
  const host = hostname.includes(':') ? `[${hostname}]` : hostname
  return {
    port: server.addr.port,
    url: `http://${host}:${server.addr.port}`,
    close: () => {
      stop.abort()
      return server.finished
    },
  }
}

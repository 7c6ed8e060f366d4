/**
 * The few parts of Deno's API the Deno adapter uses, typed structurally so that the adapter
 * type-checks under Node's tsc without Deno's types.
 * @module
 */

/** The second argument Deno passes to a fetch handler. */
export interface DenoServeHandlerInfo {
  readonly remoteAddr: unknown
  /** Settles once the response has been sent, or rejects when it could not be. */
  readonly completed: Promise<void>
}

/** Deno's `HttpServer`, as far as the adapter uses it. */
export interface DenoHttpServer {
  readonly addr: { readonly hostname: string; readonly port: number }
  /** Resolves once the server has stopped, e.g. after its `signal` aborted. */
  readonly finished: Promise<void>
}

/** The options of `Deno.serve` the adapter passes. */
export interface DenoServeOptions {
  port?: number
  hostname?: string
  /** Aborting closes the server and every connection, open SSE streams included. */
  signal?: AbortSignal
  /** Replaces Deno's own "Listening on" line. */
  onListen?: (addr: unknown) => void
}

/** `globalThis.Deno`, as far as the adapter uses it. */
export interface DenoGlobal {
  serve(
    options: DenoServeOptions,
    handler: (request: Request, info: DenoServeHandlerInfo) => Response | Promise<Response>
  ): DenoHttpServer
  readonly env: { toObject(): Record<string, string> }
  readonly permissions: { querySync(descriptor: { name: 'env' }): { readonly state: string } }
}

/** Deno's global, or a clear error when this code does not run on Deno. */
export function denoGlobal(): DenoGlobal {
  const deno = (globalThis as { Deno?: DenoGlobal }).Deno
  if (!deno) throw new Error("edgepod/deno runs on Deno only: use 'edgepod/node' on Node")
  return deno
}

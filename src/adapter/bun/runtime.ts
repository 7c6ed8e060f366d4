/**
 * The few parts of Bun's API the Bun adapter uses, typed structurally so that the adapter
 * type-checks under Node's tsc without `@types/bun`.
 * @module
 */

/** Bun's `Server`, as far as the adapter uses it. */
export interface BunHttpServer {
  /** The real port, also when started on port 0. */
  readonly port: number
  /** Stops listening; with `true`, also ends open connections (SSE streams included). */
  stop(closeActiveConnections?: boolean): Promise<void>
}

/** The options of `Bun.serve`, and of a module's default export that `bun run` serves. */
export interface BunServeOptions {
  /** Called for every request; Bun passes its `Server` as the second argument. */
  fetch(request: Request, server: BunHttpServer): Response | Promise<Response>
  /** Bun's default is `$PORT`, `$BUN_PORT`, or 3000. */
  port?: number
  /** Bun's default is '0.0.0.0'. */
  hostname?: string
  /** Seconds a connection may stay silent: 0 disables the limit, at most 255; Bun's default is 10. */
  idleTimeout?: number
}

/** `globalThis.Bun`, as far as the adapter uses it. */
export interface BunGlobal {
  serve(options: BunServeOptions): BunHttpServer
  /** The same object as `process.env`. */
  readonly env: Record<string, string | undefined>
}

/** Bun's global, or a clear error when this code does not run on Bun. */
export function bunGlobal(): BunGlobal {
  const bun = (globalThis as { Bun?: BunGlobal }).Bun
  if (!bun) throw new Error("edgepod/bun runs on Bun only: use 'edgepod/node' on Node")
  return bun
}

/**
 * What every runtime adapter serves and returns: the shapes shared by `edgepod/node`,
 * `edgepod/bun` and `edgepod/deno`, with web-standard types only.
 * @module
 */

/** Anything with a fetch handler: a worker from `serverless.start`, or a Hono app. */
export interface FetchHandler {
  fetch(request: Request, env?: any, executionCtx?: any): Response | Promise<Response>
}

/** A running server, whatever runtime serves it. */
export interface RunningServer {
  /** The port it listens on (the real one when started on port 0). */
  readonly port: number
  /** `http://<host>:<port>` */
  readonly url: string
  /** Stops accepting connections, ends open ones, and resolves when the server has closed. */
  close(): Promise<void>
}

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

/**
 * The port `text` names, given as `where` (`--port`, RunPod's `PORT` or `PORT_HEALTH`): a number
 * from 0 (any free port) to 65535, else a `TypeError` naming `where`.
 */
export function portNumber(text: string, where: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN
  if (!(port <= 65_535)) throw new TypeError(`${where} must be a number from 0 to 65535, got ${JSON.stringify(text)}`)
  return port
}

/**
 * The playground: a page for trying a worker in the browser, served beside its API. `edgepod dev`
 * serves it; in production it is there only if you wrap your worker with {@link withPlayground}.
 * Web-standard only, so the wrapped worker runs on every runtime.
 * @module
 */
import type { FetchHandler } from '../adapter/server.ts'
import { playgroundHtml } from './page.ts'
import type { PlaygroundPageOptions } from './page.ts'

export { playgroundHtml }
export type { PlaygroundPageOptions }

/** Options of {@link withPlayground}. */
export interface PlaygroundOptions extends PlaygroundPageOptions {
  /** `false` returns the worker's own handler, untouched: a switch for production. @default true */
  enabled?: boolean | undefined
}

/** A fetch handler whose answers are always promises. */
export interface PlaygroundHandler {
  fetch(request: Request, env?: unknown, executionCtx?: unknown): Promise<Response>
}

/** Where the page is served whatever the worker does. */
export const PLAYGROUND_PATH = '/playground'

/**
 * Whether the worker's answer to `GET /` leaves the root to the playground: it has no page there
 * (404), or it wants an API key (401), which a browser's navigation cannot send; the page itself
 * holds no data, and its requests carry the key typed into it.
 */
const leavesRoot = (response: Response) => response.status === 404 || response.status === 401

/**
 * Serves the playground page at `GET /playground`, and at `GET /` unless the worker answers `/`
 * itself (anything but 404 or 401); every other request goes to `worker`, with its env and
 * execution context.
 *
 * ```ts
 * export default withPlayground(serverless.start({ handler }), { enabled: process.env.NODE_ENV !== 'production' })
 * ```
 */
export function withPlayground(worker: FetchHandler, options: PlaygroundOptions = {}): PlaygroundHandler {
  const forward = async (request: Request, env?: unknown, executionCtx?: unknown) => worker.fetch(request, env, executionCtx)
  if (options.enabled === false) return { fetch: forward }
  const html = playgroundHtml(options)
  const page = (request: Request) =>
    new Response(request.method === 'HEAD' ? null : html, {
      headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' },
    })
  return {
    async fetch(request, env, executionCtx) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return forward(request, env, executionCtx)
      const { pathname } = new URL(request.url)
      if (pathname === PLAYGROUND_PATH) return page(request)
      if (pathname !== '/') return forward(request, env, executionCtx)
      // Asked on every request, not once: the worker's answer may depend on its env or change.
      const own = await forward(request, env, executionCtx)
      if (!leavesRoot(own)) return own
      await own.body?.cancel()
      return page(request)
    },
  }
}

/**
 * Where {@link withPlayground} shows the page for `worker`: `/`, or `/playground` when the worker
 * answers `GET /` itself. It asks the worker with one `GET /` request to `origin`.
 */
export async function playgroundPathFor(worker: FetchHandler, origin: string, env?: unknown): Promise<string> {
  const own = await worker.fetch(new Request(new URL('/', origin)), env)
  await own.body?.cancel()
  return leavesRoot(own) ? '/' : PLAYGROUND_PATH
}

/**
 * The playground: a page for trying a worker in the browser, served beside its API. `edgepod dev`
 * serves it; in production it is there only if you wrap your worker with {@link withPlayground}.
 * Web-standard only, so the wrapped worker runs on every runtime.
 * @module
 */
import type { FetchHandler } from '../adapter/server.ts'
import { inputDefaultOf } from './input-default.ts'
import type { InputDefault } from './input-default.ts'
import { playgroundHtml } from './page.ts'
import type { PlaygroundPageOptions } from './page.ts'

export { playgroundHtml }
export type { InputDefault, PlaygroundPageOptions }

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

/** A request for the page's default input rather than the page: the page's own `fetch`, with the API key. */
const wantsJson = (request: Request) => {
  const accept = request.headers.get('Accept') ?? ''
  return accept.includes('application/json') && !accept.includes('text/html')
}

/**
 * Serves the playground page at `GET /playground`, and at `GET /` unless the worker answers `/`
 * itself (anything but 404 or 401); every other request goes to `worker`, with its env and
 * execution context.
 *
 * The page's input box starts with an example of the worker's input schema, which it reads from
 * the worker's `GET /openapi.json` (in process, with the request's env). When that document wants
 * an API key, the page asks again with the key typed into it: the same paths answer
 * `Accept: application/json` with the {@link InputDefault} alone (401 while still locked).
 *
 * ```ts
 * export default withPlayground(serverless.start({ handler }), { enabled: process.env.NODE_ENV !== 'production' })
 * ```
 */
export function withPlayground(worker: FetchHandler, options: PlaygroundOptions = {}): PlaygroundHandler {
  const forward = async (request: Request, env?: unknown, executionCtx?: unknown) => worker.fetch(request, env, executionCtx)
  if (options.enabled === false) return { fetch: forward }
  const headers = { 'Cache-Control': 'no-store', Vary: 'Accept' }
  const html = { ...headers, 'Content-Type': 'text/html; charset=utf-8' }
  // Built on every request, not once: the worker's schema, and whether it wants a key, may depend on its env.
  const page = async (request: Request, env: unknown, executionCtx: unknown): Promise<Response> => {
    if (request.method === 'HEAD') return new Response(null, { headers: html })
    const input: InputDefault = await inputDefaultOf(worker, request, env, executionCtx)
    if (wantsJson(request)) return Response.json(input, { status: input.source === 'locked' ? 401 : 200, headers })
    return new Response(playgroundHtml(options, input), { headers: html })
  }
  return {
    async fetch(request, env, executionCtx) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return forward(request, env, executionCtx)
      const { pathname } = new URL(request.url)
      if (pathname === PLAYGROUND_PATH) return page(request, env, executionCtx)
      if (pathname !== '/') return forward(request, env, executionCtx)
      // Asked on every request, not once: the worker's answer may depend on its env or change.
      const own = await forward(request, env, executionCtx)
      if (!leavesRoot(own)) return own
      await own.body?.cancel()
      return page(request, env, executionCtx)
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

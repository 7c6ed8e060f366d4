/**
 * The client's one way to the server: URLs under the base, the shared headers, and non-2xx
 * answers turned into {@link EdgepodHttpError}s.
 * @module
 */
import { EdgepodHttpError } from './errors.ts'
import type { ClientOptions, FetchLike } from './types.ts'

/** One request: method, route and what goes with it. */
export interface RequestSpec {
  method: 'GET' | 'POST'
  /** The route, starting with `/`, with ids already encoded. */
  path: string
  query?: Record<string, string | number | undefined> | undefined
  /** Sent as JSON when defined. */
  body?: unknown
  headers?: Record<string, string> | undefined
  signal?: AbortSignal | undefined
}

/** Sends requests to one worker. */
export interface Transport {
  /** Sends a request and answers the raw response, whatever its status. */
  send(spec: RequestSpec): Promise<Response>
  /** Sends a request and answers its JSON body; a non-2xx answer throws {@link EdgepodHttpError}. */
  json<T>(spec: RequestSpec): Promise<T>
}

/** A job route (`/status`) and its id, encoded: an id is data, never a path. */
export const jobPath = (route: string, id: string) => `${route}/${encodeURIComponent(id)}`

/** Makes the transport of a client; throws a TypeError at once for a base URL that is not one. */
export function createTransport(options: ClientOptions): Transport {
  // Validated here so a typo fails at createClient, not at the first call.
  const base = new URL(String(options.baseUrl))
  const prefix = `${base.origin}${base.pathname.replace(/\/+$/, '')}`
  const extra = { ...options.headers }
  const auth: Record<string, string> = options.apiKey === undefined ? {} : { Authorization: `Bearer ${options.apiKey}` }
  // Looked up at each call, not captured: a polyfill or test double installed later still counts,
  // and calling it unbound avoids "Illegal invocation" in browsers.
  const fetchOf = (): FetchLike => options.fetch ?? ((input, init) => globalThis.fetch(input, init))

  const send = (spec: RequestSpec): Promise<Response> => {
    let url = `${prefix}${spec.path}`
    const query = Object.entries(spec.query ?? {}).filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    if (query.length > 0) url += `?${new URLSearchParams(query.map(([key, value]) => [key, String(value)]))}`
    // A route's own headers (SSE's Accept, Last-Event-ID) win over the caller's extra ones.
    const headers: Record<string, string> = { Accept: 'application/json', ...extra, ...spec.headers, ...auth }
    let body: string | undefined
    if (spec.body !== undefined) {
      body = JSON.stringify(spec.body)
      headers['Content-Type'] = 'application/json'
    }
    return fetchOf()(url, { method: spec.method, headers, body, signal: spec.signal })
  }

  return {
    send,
    async json<T>(spec: RequestSpec): Promise<T> {
      const response = await send(spec)
      if (!response.ok) throw await httpErrorOf(response)
      return (await jsonBodyOf(response)) as T
    },
  }
}

/** The JSON body of a 2xx answer; one that is not JSON is an `invalid_response`. */
export async function jsonBodyOf(response: Response): Promise<unknown> {
  const text = await response.text()
  try {
    return JSON.parse(text)
  } catch {
    throw new EdgepodHttpError(response.status, 'invalid_response', `expected JSON, got ${JSON.stringify(text.slice(0, 120))}`)
  }
}

/** The error of a non-2xx answer: the server's `{error, code, details?}`, or the status and text of any other body (a proxy's page). */
export async function httpErrorOf(response: Response): Promise<EdgepodHttpError> {
  const text = await response.text().catch(() => '')
  try {
    const body = JSON.parse(text) as { error?: unknown; code?: unknown; details?: unknown }
    if (typeof body.error === 'string') {
      const code = typeof body.code === 'string' ? body.code : `http_${response.status}`
      return new EdgepodHttpError(response.status, code, body.error, body.details)
    }
  } catch {
    // Not the job API's error shape: the status and the start of the body say the most.
  }
  const reason = text.trim().slice(0, 200) || response.statusText
  return new EdgepodHttpError(response.status, `http_${response.status}`, `HTTP ${response.status}${reason ? `: ${reason}` : ''}`)
}

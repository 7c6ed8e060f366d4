/**
 * CORS for browser consumers on another origin. Closed unless configured: without it a browser
 * page elsewhere can neither preflight nor read an answer.
 * @module
 */
import type { MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'

/** Which browser origins may call the worker. */
export interface CorsOptions {
  /** `'*'`, one origin (`'https://app.example'`), a list of them, or a function that decides. */
  origin: string | readonly string[] | ((origin: string) => boolean)
  /** Allow credentialed requests (cookies); not with `'*'`. @default false */
  credentials?: boolean | undefined
  /** How long a browser may cache a preflight answer, seconds. @default 600 */
  maxAge?: number | undefined
}

/** Checks `options` at start-up; throws a `TypeError` naming what is wrong. */
export function checkCorsOptions(options: CorsOptions): void {
  const { origin } = options
  const valid =
    typeof origin === 'function' ||
    (typeof origin === 'string' && origin.length > 0) ||
    (Array.isArray(origin) && origin.length > 0 && origin.every((one) => typeof one === 'string' && one.length > 0))
  if (!valid) throw new TypeError("edgepod: cors.origin must be '*', an origin, a list of origins, or (origin) => boolean")
  // Browsers refuse a wildcard with credentials: say so now rather than in a browser console.
  if (origin === '*' && options.credentials) throw new TypeError("edgepod: cors.credentials cannot be used with origin '*'")
}

/** The middleware answering preflights and adding the CORS headers to every answer. */
export function corsMiddleware(options: CorsOptions): MiddlewareHandler {
  const { origin } = options
  return cors({
    origin:
      typeof origin === 'function'
        ? (requestOrigin) => (origin(requestOrigin) ? requestOrigin : null)
        : typeof origin === 'string'
          ? origin
          : [...origin],
    allowMethods: ['GET', 'HEAD', 'POST', 'OPTIONS'],
    // What edgepod's clients send: the key, a JSON body, and SSE's resume and accept headers.
    allowHeaders: ['Authorization', 'Content-Type', 'Accept', 'Last-Event-ID', 'Cache-Control'],
    // What a page needs to read: the job of a POST /stream, and when to come back after a 429.
    exposeHeaders: ['X-Job-Id', 'Retry-After', 'Allow'],
    credentials: options.credentials ?? false,
    maxAge: options.maxAge ?? 600,
  })
}

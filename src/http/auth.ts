/**
 * Bearer-key authentication. Keys are compared through their SHA-256 digests, byte by byte with no
 * early exit, so neither a key's content nor its length shows in the response time.
 * @module
 */
import type { MiddlewareHandler } from 'hono'
import { HttpError } from '../errors.ts'

const encoder = new TextEncoder()

async function digestOf(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)))
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  let difference = a.length ^ b.length
  for (let i = 0; i < a.length; i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0)
  return difference === 0
}

/** Middleware that answers 401 `unauthorized` unless `Authorization: Bearer <one of keys>`. */
export function bearerAuth(keys: readonly string[]): MiddlewareHandler {
  const digests = Promise.all(keys.map(digestOf))
  return async (c, next) => {
    const header = c.req.header('authorization') ?? ''
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
    const offered = await digestOf(match?.[1] ?? '')
    let allowed = false
    for (const digest of await digests) allowed = sameBytes(offered, digest) || allowed
    if (!match || !allowed) {
      throw new HttpError('unauthorized', 'a valid API key is required: send "Authorization: Bearer <key>"', {
        headers: { 'WWW-Authenticate': 'Bearer' },
      })
    }
    await next()
  }
}

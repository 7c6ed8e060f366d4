/**
 * Bearer-key authentication. Keys are compared through their SHA-256 digests, byte by byte with no
 * early exit, so neither a key's content nor its length shows in the response time.
 * @module
 */
import type { Context, MiddlewareHandler } from 'hono'
import { WorkerError } from '../errors.ts'
import { envString } from '../env.ts'

const encoder = new TextEncoder()

/** The environment variable (or Workers binding) that holds the API keys, comma-separated. */
export const API_KEY_ENV = 'EDGEPOD_API_KEY'

async function digestOf(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)))
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  let difference = a.length ^ b.length
  for (let i = 0; i < a.length; i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0)
  return difference === 0
}

/** The keys in the runtime's env (`EDGEPOD_API_KEY`, comma-separated), if any. */
export function envApiKeys(env: unknown): string[] {
  const value = envString(env, API_KEY_ENV)
  if (value === undefined) return []
  return value
    .split(',')
    .map((key) => key.trim())
    .filter((key) => key.length > 0)
}

/** The keys a request must present: the configured ones, else those of its env. */
export function apiKeysFor(c: Context, configured: readonly string[]): readonly string[] {
  return configured.length > 0 ? configured : envApiKeys(c.env)
}

/**
 * Middleware that answers 401 `unauthorized` unless `Authorization: Bearer <one of the keys>`;
 * it lets everything through when there are no keys.
 */
export function bearerAuth(configured: readonly string[]): MiddlewareHandler {
  // Digests are computed once per key, whether it came from the config or the env.
  const digests = new Map<string, Promise<Uint8Array>>()
  const digestOfKey = (key: string) => {
    let digest = digests.get(key)
    if (!digest) digests.set(key, (digest = digestOf(key)))
    return digest
  }
  // Not an async function: a worker without keys passes every request on without a promise of its own.
  return (c, next) => {
    const keys = apiKeysFor(c, configured)
    if (keys.length === 0) return next()
    return checked(c.req.header('authorization'), keys, digestOfKey).then(next)
  }
}

/** Resolves when `authorization` offers one of `keys`, else rejects with `unauthorized`. */
async function checked(authorization: string | undefined, keys: readonly string[], digestOfKey: (key: string) => Promise<Uint8Array>): Promise<void> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')
  const offered = await digestOf(match?.[1] ?? '')
  let allowed = false
  for (const key of keys) allowed = sameBytes(offered, await digestOfKey(key)) || allowed
  if (!match || !allowed) {
    throw new WorkerError('unauthorized', 'a valid API key is required: send "Authorization: Bearer <key>"')
  }
}

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com, v1: HMAC-SHA256). Web-standard
 * only (`crypto.subtle`, `TextEncoder`, `atob`, `btoa`), so it runs on Workers, Deno, Bun and Node.
 *
 * Secrets are read the way the official `standardwebhooks` libraries read them: an optional
 * `whsec_` prefix, then base64. A string without the prefix is base64 too, not raw bytes, so the
 * same secret string configured here and in `new Webhook(secret)` on the receiver always agrees.
 * A secret that is not base64 is rejected rather than silently used as raw bytes; to sign with a
 * passphrase, configure `'whsec_' + btoa(passphrase)` on both sides.
 * @module
 */

const PREFIX = 'whsec_'
/** Standard base64 with optional padding; URL-safe `-` `_` and whitespace are not base64 here. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/
const encoder = new TextEncoder()

/**
 * The HMAC key of a Standard Webhooks secret: `whsec_<base64>` or bare `<base64>`, decoded.
 *
 * Accepts exactly the secrets on which the official library (`@stablelib/base64`) and this one
 * derive the same bytes: at least 4 characters, standard alphabet, padding only at the end and
 * only on a multiple of 4. Throws a `TypeError` (that never quotes the secret) otherwise, so a
 * configuration can be checked when it is loaded rather than at the first delivery.
 */
export function decodeWebhookSecret(secret: string): Uint8Array<ArrayBuffer> {
  const encoded = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret
  if (encoded.length === 0) throw new TypeError('webhook secret is empty')
  const unpadded = encoded.replace(/=+$/, '')
  // The official decoder rejects fewer than 4 characters, and ignores a lone trailing character
  // (length 4n+1) where atob throws: refusing both keeps the two from ever deriving different keys.
  const valid = BASE64.test(encoded) &&
    encoded.length >= 4 &&
    unpadded.length % 4 !== 1 &&
    (unpadded.length === encoded.length || encoded.length % 4 === 0)
  if (!valid) {
    throw new TypeError('webhook secret must be base64, optionally prefixed with whsec_ (Standard Webhooks)')
  }
  const binary = atob(encoded)
  const key = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) key[i] = binary.charCodeAt(i)
  if (key.length === 0) throw new TypeError('webhook secret is empty')
  return key
}

/**
 * Standard Webhooks v1 signature: `v1,<base64 HMAC-SHA256 of "${id}.${timestampSeconds}.${body}">`,
 * the body's UTF-8 bytes as sent.
 *
 * `secret` is `whsec_<base64>` or bare `<base64>` (see {@link decodeWebhookSecret}, whose
 * `TypeError` this rejects with). A fractional `timestampSeconds` is floored, as receivers parse
 * the header as an integer; {@link webhookSignatureHeaders} sends the same floored value.
 */
export async function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    decodeWebhookSecret(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  const signed = `${id}.${wholeSeconds(timestampSeconds)}.${body}`
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(signed)))
  return `v1,${btoa(String.fromCharCode(...mac))}`
}

/**
 * The three headers of a signed delivery (plus nothing else): `webhook-id`, `webhook-timestamp`
 * (whole seconds since the epoch) and `webhook-signature` (one `v1,` signature).
 */
export async function webhookSignatureHeaders(
  secret: string,
  id: string,
  timestampSeconds: number,
  body: string,
): Promise<Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string>> {
  const timestamp = wholeSeconds(timestampSeconds)
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': await signWebhook(secret, id, timestamp, body),
  }
}

/** Integer seconds, as written in the header; NaN or Infinity would sign a header nobody parses. */
function wholeSeconds(seconds: number): number {
  if (!Number.isFinite(seconds)) throw new RangeError('webhook timestamp must be a finite number of seconds')
  return Math.floor(seconds)
}

/**
 * Webhook delivery: POST a job's status envelope to the URL the request named, retried with
 * exponential backoff, signed per Standard Webhooks when a secret is configured. Web-standard only
 * (`fetch`, `AbortSignal.timeout`, `setTimeout`), so it runs on Workers as on Node.
 *
 * A delivery never rejects and never throws: the job's outcome is already recorded when it starts,
 * and a receiver that is down or slow must not fail or hold it. The caller runs it in the
 * background (on Workers under `executionCtx.waitUntil`).
 * @module
 */
import { decodeWebhookSecret, webhookSignatureHeaders } from './webhook-signature.ts'

/** How {@link deliverWebhook} signs, retries and times out. */
export interface WebhookOptions {
  /** Signing secret (Standard Webhooks: `whsec_<base64>` or bare base64); unsigned when absent. */
  secret?: string | undefined
  /** Attempts in all, the first included (at least 1). @default 5 */
  attempts: number
  /** Delay before the second attempt, ms; doubled each time after (exponential backoff, with ±20% jitter). @default 1000 */
  initialDelay: number
  /** Time one attempt may take before it is abandoned, ms (0 or less: no limit). @default 10000 */
  timeout: number
  /** The fetch to use (tests, runtimes). @default globalThis.fetch */
  fetch?: typeof fetch | undefined
}

/** What became of a delivery. `status` and `error` describe the last attempt. */
export interface WebhookDelivery {
  /** The receiver answered 2xx. */
  delivered: boolean
  /** Requests sent (0 when the URL or the secret was unusable, so nothing was sent). */
  attempts: number
  /** The HTTP status of the last answer, when the last attempt got one. */
  status?: number | undefined
  /** Why the last attempt failed (`HTTP 500`, `timed out after 10000 ms`, …); absent when delivered. */
  error?: string | undefined
}

/** The most a `Retry-After` may defer an attempt: a receiver cannot park a delivery for hours. */
const MAX_RETRY_AFTER = 60_000
/** setTimeout's ceiling; longer delays overflow and fire at once. */
const MAX_DELAY = 2_147_483_647

/** One attempt's result, and whether a later attempt could do better. */
interface Attempt {
  ok: boolean
  retry: boolean
  status?: number
  error?: string
  /** The receiver's `Retry-After`, in ms, already capped. */
  retryAfter?: number
}

/**
 * POSTs `body` (JSON text) to `url` until a 2xx answer or the attempts run out. Never rejects. Each attempt
 * carries `Content-Type: application/json`, `User-Agent: edgepod`, and when signed the Standard Webhooks
 * headers, with the SAME webhook-id on every attempt (`messageId`, for the receiver's idempotency) and a fresh
 * timestamp+signature per attempt.
 *
 * Network errors, timeouts, 5xx, 408 and 429 are retried (after the backoff, or the answer's
 * `Retry-After` when that is longer, capped at 60 s). Any other answer is final: a 4xx is the
 * receiver's rejection, and a 3xx is not followed, as following it would turn the POST into a GET
 * on 301-303 and count a landing page's 200 as delivered. When delivery finally fails it logs one
 * `console.warn` line with the URL's host (never its path or query, which may hold tokens, nor the
 * secret).
 */
export function deliverWebhook(url: string, body: string, messageId: string, options: WebhookOptions): Promise<WebhookDelivery> {
  // deliver() handles every failure it knows of; this catch is for the ones it does not.
  return deliver(url, body, messageId, options).catch((error: unknown) =>
    failed(url, { delivered: false, attempts: 0, error: `internal error: ${errorMessage(error)}` }))
}

async function deliver(url: string, body: string, messageId: string, options: WebhookOptions): Promise<WebhookDelivery> {
  let target: URL
  try {
    target = new URL(url)
  } catch {
    return failed(url, { delivered: false, attempts: 0, error: 'invalid webhook URL' })
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    return failed(url, { delivered: false, attempts: 0, error: `unsupported webhook URL scheme ${target.protocol}` })
  }
  if (options.secret !== undefined) {
    // A bad secret fails every attempt alike: say so once and send nothing, never unsigned.
    try {
      decodeWebhookSecret(options.secret)
    } catch (error) {
      return failed(url, { delivered: false, attempts: 0, error: errorMessage(error) })
    }
  }
  const attempts = Math.max(1, Math.floor(options.attempts) || 1)
  for (let attempt = 1; ; attempt++) {
    const result = await attemptOnce(target.href, body, messageId, options)
    if (result.ok) return { delivered: true, attempts: attempt, status: result.status }
    if (!result.retry || attempt >= attempts) {
      const delivery: WebhookDelivery = { delivered: false, attempts: attempt, error: result.error }
      if (result.status !== undefined) delivery.status = result.status
      return failed(url, delivery)
    }
    await sleep(retryDelay(options.initialDelay, attempt, result.retryAfter))
  }
}

/** One POST; resolves whatever happens. */
async function attemptOnce(url: string, body: string, messageId: string, options: WebhookOptions): Promise<Attempt> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'edgepod' }
  if (options.secret !== undefined) {
    try {
      // A fresh timestamp per attempt: receivers reject signatures older than a few minutes.
      Object.assign(headers, await webhookSignatureHeaders(options.secret, messageId, Date.now() / 1000, body))
    } catch (error) {
      return { ok: false, retry: false, error: `cannot sign: ${errorMessage(error)}` }
    }
  }
  const init: RequestInit = { method: 'POST', headers, body, redirect: 'manual' }
  if (options.timeout > 0) init.signal = AbortSignal.timeout(Math.min(Math.ceil(options.timeout), MAX_DELAY))
  let response: Response
  try {
    // Called as a plain function: Workers throw "Illegal invocation" when fetch is called as a
    // method of another object (options.fetch(...)). Read late, so a stubbed global is seen.
    const send = options.fetch ?? globalThis.fetch
    response = await send(url, init)
  } catch (error) {
    return { ok: false, retry: true, error: fetchError(error, options.timeout) }
  }
  // Only the status matters: release the connection now rather than when the body is collected.
  response.body?.cancel().catch(() => {})
  const status = response.status
  if (status >= 200 && status < 300) return { ok: true, retry: false, status }
  // Status 0 is a browser's opaque redirect; anywhere else it does not happen.
  const error = (status >= 300 && status < 400) || status === 0 ? `HTTP ${status} redirect (not followed)` : `HTTP ${status}`
  const retry = status >= 500 || status === 408 || status === 429
  const result: Attempt = { ok: false, retry, status, error }
  const retryAfter = retry ? parseRetryAfter(response.headers.get('retry-after')) : undefined
  if (retryAfter !== undefined) result.retryAfter = retryAfter
  return result
}

/** The wait after failed attempt number `attempt` (1-based): the jittered backoff, or longer if the receiver asked. */
function retryDelay(initialDelay: number, attempt: number, retryAfter: number | undefined): number {
  const base = Math.max(0, initialDelay) * 2 ** (attempt - 1)
  // ±20% jitter, so receivers recovering from an outage are not hit by every retry at once.
  const jittered = base * (0.8 + 0.4 * Math.random())
  const delay = Math.max(jittered, retryAfter ?? 0)
  return Number.isFinite(delay) ? Math.min(Math.round(delay), MAX_DELAY) : 0
}

/** `Retry-After` in ms, from seconds or an HTTP date, capped at {@link MAX_RETRY_AFTER}; undefined when absent or unreadable. */
function parseRetryAfter(header: string | null): number | undefined {
  if (header === null) return undefined
  const value = header.trim()
  let ms: number
  if (/^\d+$/.test(value)) ms = Number(value) * 1000
  else {
    const date = Date.parse(value)
    if (Number.isNaN(date)) return undefined
    ms = date - Date.now()
  }
  return Math.min(Math.max(0, ms), MAX_RETRY_AFTER)
}

function sleep(ms: number): Promise<void> {
  // Plain setTimeout, not the unref'd startTimer: a pending retry is work still owed, and a
  // one-job CLI process should deliver its webhook before it exits.
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** A thrown fetch error in a few words: the timeout, or the network cause (`fetch failed (ECONNREFUSED)`). */
function fetchError(error: unknown, timeout: number): string {
  const name = (error as { name?: unknown } | null)?.name
  if (name === 'TimeoutError') return `timed out after ${timeout} ms`
  if (name === 'AbortError') return 'aborted'
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause
  const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : undefined
  const message = errorMessage(error)
  return detail === undefined ? message : `${message} (${detail})`
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** Logs the one line of a failed delivery and returns it. */
function failed(url: string, delivery: WebhookDelivery): WebhookDelivery {
  console.warn(
    `edgepod: webhook to ${hostOf(url)} not delivered after ${delivery.attempts} attempt${delivery.attempts === 1 ? '' : 's'}: ${delivery.error}`,
  )
  return delivery
}

/** The host alone: paths and queries of webhook URLs often carry tokens. */
function hostOf(url: string): string {
  try {
    return new URL(url).host || '(no host)'
  } catch {
    return '(invalid URL)'
  }
}

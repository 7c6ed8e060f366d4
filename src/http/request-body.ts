/**
 * Reads and checks the body of `/run`, `/runsync` and `POST /stream`. The size limit is enforced
 * while the body arrives, so an oversized upload is refused without being buffered whole.
 * @module
 */
import { joinBytes } from '../join-bytes.ts'
import { isHttpUrl } from '../http-url.ts'
import { s3ConfigIssues } from '../offload/bucket-config.ts'
import { WorkerError } from '../errors.ts'
import { MAX_POLICY_MS } from '../limits.ts'
import type { JobRequest } from '../types.ts'

/**
 * One decoder for every body: `decode` without `stream` keeps no state between calls, and making a
 * decoder costs more than decoding a small body.
 */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

/** One problem with a request body, in the shape of Standard Schema's issues. */
export interface BodyIssue {
  path: string[]
  message: string
}

/** How long a refused upload may stall before draining it gives up, ms. */
const DRAIN_IDLE_MS = 1_000

/**
 * Reads and drops the rest of a refused body, up to four times the limit, then cancels it. Some
 * proxies (workerd's, on a forwarded request) break the connection when a body is abandoned
 * mid-upload; a modest overflow is drained instead, never buffered, and a huge one still cut off.
 * A client that stops sending is not waited for: the 413 must not hang on it.
 */
async function discard(reader: ReadableStreamDefaultReader<Uint8Array> | undefined, maxBytes: number): Promise<void> {
  if (!reader) return
  try {
    for (let dropped = 0; dropped <= 4 * maxBytes; ) {
      const next = await readWithin(reader, DRAIN_IDLE_MS)
      if (next?.done) return
      if (!next) break
      dropped += next.value.byteLength
    }
    await reader.cancel()
  } catch {
    // The client went away: nothing is left to drain.
  }
}

/**
 * Drops what is left of a request's body that nothing read (an answer given before the body was
 * needed: a bad query value, an unknown job, a refused key), up to four times `maxBytes`. Behind a
 * Durable Object forward, workerd fails the forwarding request when its body is still arriving
 * after the answer ("Can't read from request stream after response has been sent"), and the
 * request after it with it.
 */
export async function discardUnread(request: Request, maxBytes: number): Promise<void> {
  if (request.body && !request.bodyUsed) await discard(request.body.getReader(), maxBytes)
}

/** The reader's next chunk, or undefined when none comes within `ms`. */
async function readWithin<T>(reader: ReadableStreamDefaultReader<T>, ms: number): Promise<ReadableStreamReadResult<T> | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const idle = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))
  try {
    return await Promise.race([reader.read(), idle])
  } finally {
    clearTimeout(timer)
  }
}

/** Reads a body of unknown length, refusing it as soon as it passes `maxBytes`. */
async function readLimited(request: Request, maxBytes: number, tooLarge: () => WorkerError): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  let size = 0
  if (request.body) {
    const reader = request.body.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > maxBytes) {
        await discard(reader, maxBytes)
        throw tooLarge()
      }
      chunks.push(value)
    }
  }
  return joinBytes(chunks, size)
}

/** Reads the body as JSON; 413 `payload_too_large` past `maxBytes`, 400 `invalid_json` if it is not JSON. */
export async function readJsonBody(request: Request, maxBytes: number, option = 'maxBodyBytes'): Promise<unknown> {
  const tooLarge = () => new WorkerError('payload_too_large', `the request body is over the limit of ${maxBytes} bytes (the worker's ${option} option raises it)`)
  const declared = Number(request.headers.get('content-length') ?? NaN)
  if (declared > maxBytes) {
    await discard(request.body?.getReader(), maxBytes)
    throw tooLarge()
  }
  // A declared length is what the runtime reads, no more (HTTP framing): the body can be taken
  // whole, which is much cheaper on Node than reading it as a stream. Otherwise it is counted
  // chunk by chunk as it arrives.
  const bytes = declared >= 0 ? new Uint8Array(await request.arrayBuffer()) : await readLimited(request, maxBytes, tooLarge)
  // A Request made in code may carry a length header that its body does not keep to.
  if (bytes.byteLength > maxBytes) throw tooLarge()
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    throw new WorkerError('invalid_json', 'the request body is not valid UTF-8')
  }
  if (text.trim() === '') throw new WorkerError('missing_input', 'the request body is empty; send {"input": ...}')
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new WorkerError('invalid_json', `the request body is not valid JSON: ${(error as Error).message}`)
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function checkDuration(policy: Record<string, unknown>, key: string, issues: BodyIssue[]): void {
  const value = policy[key]
  if (value === undefined || value === null) return
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_POLICY_MS) {
    issues.push({ path: ['policy', key], message: `must be a whole number of milliseconds from 1 to ${MAX_POLICY_MS}` })
  }
}

/** Checks a parsed body against the request shape; 400 `missing_input` or `invalid_input` with the issues. */
export function jobRequestFrom(body: unknown): JobRequest {
  if (!isObject(body) || body['input'] === undefined) {
    throw new WorkerError('missing_input', 'the request body must be a JSON object with an "input" key')
  }
  const issues: BodyIssue[] = []
  const { webhook, policy, s3Config } = body
  if (webhook !== undefined && webhook !== null) {
    if (typeof webhook !== 'string' || !isHttpUrl(webhook)) {
      issues.push({ path: ['webhook'], message: 'must be an http(s) URL' })
    }
  }
  if (policy !== undefined && policy !== null) {
    if (!isObject(policy)) issues.push({ path: ['policy'], message: 'must be an object' })
    else {
      checkDuration(policy, 'executionTimeout', issues)
      checkDuration(policy, 'ttl', issues)
      const lowPriority = policy['lowPriority']
      if (lowPriority !== undefined && lowPriority !== null && typeof lowPriority !== 'boolean') {
        issues.push({ path: ['policy', 'lowPriority'], message: 'must be a boolean' })
      }
    }
  }
  if (s3Config !== undefined && s3Config !== null) {
    if (!isObject(s3Config)) issues.push({ path: ['s3Config'], message: 'must be an object' })
    else for (const issue of s3ConfigIssues(s3Config)) issues.push({ path: ['s3Config', issue.key], message: issue.message })
  }
  if (issues.length > 0) {
    const summary = issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ')
    throw new WorkerError('invalid_input', `invalid request: ${summary}`, { details: issues })
  }
  return {
    input: body['input'],
    webhook: typeof webhook === 'string' ? webhook : undefined,
    policy: isObject(policy) ? (policy as JobRequest['policy']) : undefined,
    s3Config: isObject(s3Config) ? s3Config : undefined,
  }
}

/** Reads, parses and checks a job request. */
export async function readJobRequest(request: Request, maxBytes: number, option?: string): Promise<JobRequest> {
  return jobRequestFrom(await readJsonBody(request, maxBytes, option))
}

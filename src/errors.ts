/**
 * edgepod's error vocabulary: the HTTP error every route answers with, and the normalisation of
 * anything a handler throws into an {@link ErrorDetail}.
 * @module
 */
import type { ErrorDetail } from './types.ts'

/** The `code` of every HTTP error answer, as listed in PROTOCOL.md. */
export type ErrorCode =
  | 'invalid_json'
  | 'missing_input'
  | 'invalid_input'
  | 'unauthorized'
  | 'not_found'
  | 'job_not_found'
  | 'method_not_allowed'
  | 'invalid_state'
  | 'payload_too_large'
  | 'queue_full'
  | 'internal'

/** The HTTP status of each error code. */
export const statusOfCode: Readonly<Record<ErrorCode, number>> = {
  invalid_json: 400,
  missing_input: 400,
  invalid_input: 400,
  unauthorized: 401,
  not_found: 404,
  job_not_found: 404,
  method_not_allowed: 405,
  invalid_state: 409,
  payload_too_large: 413,
  queue_full: 429,
  internal: 500,
}

/**
 * An error that becomes the JSON answer `{"error","code","details"?}` with the code's HTTP status.
 * Thrown anywhere below a route, it is turned into its response by the app's error handler.
 */
export class HttpError extends Error {
  override name = 'HttpError' as const
  readonly code: ErrorCode
  readonly status: number
  readonly details: unknown
  readonly headers: Record<string, string> | undefined

  constructor(
    code: ErrorCode,
    message: string,
    options?: { details?: unknown; headers?: Record<string, string>; cause?: unknown }
  ) {
    super(message, { cause: options?.cause })
    this.code = code
    this.status = statusOfCode[code]
    this.details = options?.details
    this.headers = options?.headers
  }

  /** The JSON error answer. */
  toResponse(): Response {
    const body: Record<string, unknown> = { error: this.message, code: this.code }
    if (this.details !== undefined) body['details'] = this.details
    return new Response(JSON.stringify(body), {
      status: this.status,
      headers: { 'Content-Type': 'application/json; charset=utf-8', ...this.headers },
    })
  }
}

/** Matches an {@link HttpError} by name too, so errors from another copy of edgepod count. */
export function isHttpError(error: unknown): error is HttpError {
  return error instanceof HttpError || (error instanceof Error && error.name === 'HttpError')
}

/**
 * Normalises anything thrown into an {@link ErrorDetail}: a thrown string or object keeps its text,
 * an Error keeps its class name, and the stack is kept only when asked for.
 */
export function errorDetailFrom(error: unknown, exposeStack: boolean): ErrorDetail {
  try {
    if (error instanceof Error) {
      const detail: ErrorDetail = { type: error.name || 'Error', message: error.message }
      if (exposeStack && error.stack) detail.stack = error.stack
      return detail
    }
    return { type: 'Error', message: typeof error === 'string' ? error : safeJson(error) }
  } catch {
    // A Proxy whose traps throw, a getter that throws: the job still ends with words.
    return { type: 'Error', message: UNREADABLE }
  }
}

/** The message of a thrown value that cannot be read at all. */
const UNREADABLE = 'a thrown value that cannot be read'

/** The text of a value for an error message: strings as they are, everything else as JSON. */
export function messageOf(value: unknown): string {
  if (typeof value === 'string') return value
  // `catch (e) { return { error: e } }` is common JS: an Error's JSON is `{}`, its message is the point.
  if (value instanceof Error) return value.message || value.name
  return safeJson(value)
}

/**
 * Text for any value, never throwing: a handler may throw something neither JSON nor `String` can
 * show (a BigInt in a null-prototype object, a Proxy), and its job must still end with a message.
 */
function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    try {
      return String(value)
    } catch {
      return UNREADABLE
    }
  }
}

/**
 * Where a refused request becomes an HTTP answer: each {@link ErrorCode} of the protocol has its
 * status here, and only here; the engine and the stores speak in codes.
 * @module
 */
import type { ErrorCode, WorkerError } from '../errors.ts'
import { WorkerError as Refusal } from '../errors.ts'

/** The HTTP status of each error code (docs/protocol.md, "HTTP errors"). */
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
  store_unavailable: 503,
  setup_failed: 503,
  draining: 503,
  internal: 500,
}

const JSON_TYPE = 'application/json; charset=utf-8'

/**
 * The JSON answer `{"error","code","details"?}` of a refused request, with its status and the
 * headers its code calls for (`Retry-After`, `WWW-Authenticate`) plus `headers`.
 */
export function errorResponse(error: WorkerError, headers: Record<string, string> = {}): Response {
  const body: Record<string, unknown> = { error: error.message, code: error.code }
  if (error.details !== undefined) body['details'] = error.details
  const all: Record<string, string> = { 'Content-Type': JSON_TYPE, ...headers }
  if (error.retryAfter !== undefined) all['Retry-After'] = String(error.retryAfter)
  if (error.code === 'unauthorized') all['WWW-Authenticate'] = 'Bearer'
  return new Response(JSON.stringify(body), { status: statusOfCode[error.code], headers: all })
}

/** The answer of a request refused with `code` and `message`. */
export function refusal(code: ErrorCode, message: string, headers?: Record<string, string>): Response {
  return errorResponse(new Refusal(code, message), headers)
}

/**
 * Errors as OpenAI's API gives them, `{"error":{"message","type","param","code"}}`, for the
 * OpenAI-compatible routes: the `openai` SDK and its peers read that shape (and the status) to
 * raise their own errors (`AuthenticationError` for a 401, `RateLimitError` for a 429, ...).
 * docs/protocol.md, "OpenAI-compatible routes".
 * @module
 */
import type { WorkerError } from '../../errors.ts'
import type { ErrorDetail, JobStatus } from '../../types.ts'
import { statusOfCode } from '../http-error.ts'

/** OpenAI's error object. */
export interface OpenAIError {
  message: string
  type: string
  param: string | null
  code: string | null
}

/** The `type` OpenAI gives each kind of failure. */
function typeOf(status: number): string {
  if (status === 401) return 'authentication_error'
  if (status === 429) return 'rate_limit_error'
  if (status >= 500) return 'server_error'
  return 'invalid_request_error'
}

/** The JSON text `{"error":{...}}`. */
export function openAIErrorJson(status: number, message: string, code: string | null): string {
  const error: OpenAIError = { message, type: typeOf(status), param: null, code }
  return JSON.stringify({ error })
}

/** A refused request of an OpenAI route, with the status edgepod gives its code. */
export function openAIErrorResponse(error: WorkerError, extra: Record<string, string> = {}): Response {
  const status = statusOfCode[error.code]
  // The SDKs key on these codes: `invalid_api_key` is OpenAI's own for a bad key.
  const code = error.code === 'unauthorized' ? 'invalid_api_key' : error.code
  const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=utf-8', ...extra }
  if (error.retryAfter !== undefined) headers['Retry-After'] = String(error.retryAfter)
  if (error.code === 'unauthorized') headers['WWW-Authenticate'] = 'Bearer'
  return new Response(openAIErrorJson(status, error.message, code), { status, headers })
}

/** How a job that did not complete is told to an OpenAI client: its status and error. */
export function jobFailure(status: JobStatus, detail: ErrorDetail | undefined, error: string | undefined): { status: number; json: string } {
  const message = detail?.message ?? error ?? `the job ended ${status}`
  const http = status === 'TIMED_OUT' ? 504 : status === 'CANCELLED' ? 499 : 500
  return { status: http, json: openAIErrorJson(http, message, detail?.code ?? status.toLowerCase()) }
}

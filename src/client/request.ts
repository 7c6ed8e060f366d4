/**
 * The one job request the client's `run`, `runSync` and `stream` take, `{ input, webhook?,
 * policy?, s3Config? }` as RunPod's JS SDK takes it, checked before it is sent: a bare input
 * would otherwise reach the server as a request without one, or as the `input` of another.
 * @module
 */
import type { JobRequest } from './types.ts'

/** The fields of a job request: `satisfies` keeps them the server's {@link JobRequest}'s. */
const REQUEST_KEYS = { input: true, webhook: true, policy: true, s3Config: true } as const satisfies Record<keyof JobRequest, true>

/** The client methods that submit a job. */
export type SubmitMethod = 'run' | 'runSync' | 'stream'

const SHAPE = '{ input, webhook?, policy?, s3Config? }'

/**
 * The JSON body of a job request, with only the fields that are set. Throws a `TypeError` that
 * names the fix for anything else: a bare input (`run('hi')`, `run({ prompt })`), or a request
 * with a field the job API does not have, which the server would drop without a word.
 */
export function jobRequestBody(method: SubmitMethod, request: unknown): Record<string, unknown> {
  const takes = method === 'stream' ? `a job id or a job request ${SHAPE}` : `a job request ${SHAPE}`
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    throw new TypeError(`edgepod client: client.${method} takes ${takes}, not ${kindOf(request)}: call client.${method}({ input: … })`)
  }
  if (!('input' in request)) {
    throw new TypeError(
      `edgepod client: client.${method} takes ${takes}, and this object has no input: to send it as the job's input, call client.${method}({ input: yourObject })`
    )
  }
  const body: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(request)) {
    if (!Object.hasOwn(REQUEST_KEYS, key)) {
      throw new TypeError(
        `edgepod client: a job request has no field "${key}" (it has ${Object.keys(REQUEST_KEYS).join(', ')}): put the job's data in input, client.${method}({ input: { … } })`
      )
    }
    if (value !== undefined) body[key] = value
  }
  // An undefined input is sent as none: the server's 400 `missing_input` says so.
  return body
}

/**
 * Refuses the fields of a job request passed as options, where the client took them before it
 * took a request: there they would be dropped without a word.
 */
export function checkCallOptions(method: SubmitMethod, options: object | undefined): void {
  for (const key of ['webhook', 'policy', 's3Config'] as const satisfies readonly (keyof JobRequest)[]) {
    if (options !== undefined && options !== null && key in options) {
      throw new TypeError(`edgepod client: ${key} is a field of the job request, not an option: client.${method}({ input, ${key} })`)
    }
  }
}

/** How a value that is not an object is named in an error. */
function kindOf(value: unknown): string {
  if (value === null || value === undefined) return String(value)
  if (Array.isArray(value)) return 'an array'
  return `a ${typeof value}`
}

/**
 * The error answers of the worker's OpenAPI document: one component per kind of refusal, its
 * `code` narrowed to the codes it can carry, its status the one `http-error.ts` gives those codes.
 * @module
 */
import type { ErrorCode } from '../errors.ts'
import { statusOfCode } from './http-error.ts'
import type { Json } from './openapi-schemas.ts'
import { ref } from './openapi-schemas.ts'
import type { WorkerLimits } from './route.ts'

interface ErrorAnswer {
  codes: readonly ErrorCode[]
  /** What the answer means; a function of the worker's limits where it tells one of them. */
  description: string | ((limits: WorkerLimits) => string)
  headers?: Record<string, Json>
}

/** The error answers, by component name; every code of one answer has the same HTTP status. */
const errorAnswers = {
  InvalidRequest: {
    codes: ['invalid_json', 'missing_input', 'invalid_input'],
    description:
      'The body is not JSON (`invalid_json`), is empty or has no `input` (`missing_input`), or breaks the request shape, ' +
      "the worker's input schema or a query/header value (`invalid_input`, with the issues in `details`).",
  },
  InvalidParameter: {
    codes: ['invalid_input'],
    description: 'A query or header value is malformed: not a non-negative whole number, or a `logs` flag not `1`, `true`, `0` or `false` (`invalid_input`).',
  },
  Unauthorized: {
    codes: ['unauthorized'],
    description: '`Authorization: Bearer <key>` is missing or names no accepted key.',
    headers: { 'WWW-Authenticate': ref('headers', 'WWW-Authenticate') },
  },
  NotFound: {
    codes: ['not_found'],
    description: 'No route has this path (answered for any path this document does not list).',
  },
  JobNotFound: {
    codes: ['job_not_found'],
    description: 'No job has this id, or its `ttl` has passed and it was forgotten.',
  },
  MethodNotAllowed: {
    codes: ['method_not_allowed'],
    description: 'The path exists but not for this method (answered for the methods a path does not list).',
    headers: { Allow: ref('headers', 'Allow') },
  },
  InvalidState: {
    codes: ['invalid_state'],
    description: 'The job is not in a state that allows this (only `FAILED` or `TIMED_OUT` jobs can be retried).',
  },
  PayloadTooLarge: {
    codes: ['payload_too_large'],
    description: ({ maxBodyBytes, maxSyncBodyBytes }) =>
      `The body is larger than the worker's \`maxBodyBytes\` (${maxBodyBytes} bytes), or on \`/runsync\` its \`maxSyncBodyBytes\` (${maxSyncBodyBytes} bytes); refused while it arrives.`,
  },
  QueueFull: {
    codes: ['queue_full'],
    description: ({ maxQueue }) =>
      maxQueue === Infinity
        ? 'The worker sets no queue limit (`maxQueue`), so it never answers this.'
        : `The queue holds as many jobs as the worker allows (\`maxQueue\`, ${maxQueue}); try again after \`Retry-After\` seconds.`,
  },
  StoreUnavailable: {
    codes: ['store_unavailable'],
    description:
      'The store the jobs live in (Redis) cannot be reached now; the request changed nothing. Try again after `Retry-After` seconds. ' +
      'Only a worker whose jobs live in a store shared by processes answers it.',
  },
  NotReady: {
    codes: ['setup_failed', 'draining'],
    description:
      'The worker takes no job: its `setup` failed (`setup_failed`: every job fails with the setup’s error until it is restarted), ' +
      'or a job asked for `refresh_worker` and this process drains to restart (`draining`, with `Retry-After`).',
  },
  Draining: {
    codes: ['draining'],
    description:
      'A job asked for `refresh_worker`, and this process is draining to restart: it takes no new job (its store is its own). ' +
      'Send the request again after `Retry-After` seconds; a fresh process answers it.',
  },
  InternalError: {
    codes: ['internal'],
    description: 'An unexpected failure of the worker (no stack unless it is configured to expose stacks).',
  },
} as const satisfies Record<string, ErrorAnswer>

/** The name of an error answer component. */
export type ErrorAnswerName = keyof typeof errorAnswers

/** The HTTP status of an error answer. */
export function statusOfAnswer(name: ErrorAnswerName): number {
  const [code] = errorAnswers[name].codes
  return statusOfCode[code]
}

/** `components.responses`: one answer per error kind, its `code` narrowed to the codes it can carry. */
export function errorResponses(limits: WorkerLimits): Json {
  const responses: Json = {}
  for (const [name, answer] of Object.entries(errorAnswers) as [ErrorAnswerName, ErrorAnswer][]) {
    const schema = { allOf: [ref('schemas', 'Error'), { properties: { code: { enum: [...answer.codes] } } }] }
    const description = typeof answer.description === 'function' ? answer.description(limits) : answer.description
    responses[name] = {
      description: `${statusOfAnswer(name)}: ${description}`,
      ...(answer.headers ? { headers: answer.headers } : {}),
      content: { 'application/json': { schema } },
    }
  }
  return responses
}

/**
 * The components of the worker's OpenAPI document: JSON Schemas (draft 2020-12) of the request,
 * the status object, the errors and the SSE events, plus the shared parameters, headers and error
 * answers. `openapi.ts` lays the routes out over them.
 * @module
 */
import type { ErrorCode } from '../errors.ts'
import { statusOfCode } from '../errors.ts'
import type { JobStatus } from '../types.ts'
import { encodeEvent, OPENING_COMMENT, PING_COMMENT } from './sse.ts'

/** A JSON object of the document. */
export type Json = Record<string, unknown>

type ComponentKind = 'schemas' | 'parameters' | 'headers' | 'requestBodies' | 'responses'

/** A `$ref` to a component of the document. */
export function ref(kind: ComponentKind, name: string): Json {
  return { $ref: `#/components/${kind}/${name}` }
}

/** request-body.ts's bound for `executionTimeout` and `ttl` (RunPod's): 7 days. */
const MAX_POLICY_MS = 7 * 24 * 60 * 60 * 1000
const MAX_SYNC_WAIT = 300_000
const DRAFT_2020_12 = 'https://json-schema.org/draft/2020-12/schema'

// `satisfies Record<…>` makes the compiler refuse a status or code that types.ts / errors.ts do not
// have, and one they have that is missing here: the enums cannot drift from the code.
const jobStatuses = {
  IN_QUEUE: 'waiting for a concurrency slot',
  IN_PROGRESS: 'the handler is running',
  COMPLETED: 'the handler finished (terminal)',
  FAILED: 'the handler threw, or returned or yielded `{error}` (terminal)',
  CANCELLED: 'cancelled through `/cancel` or a stream reader leaving (terminal)',
  TIMED_OUT: 'ran past `policy.executionTimeout` (terminal)',
} satisfies Record<JobStatus, string>

const errorStatuses = statusOfCode

interface ErrorAnswer {
  codes: readonly ErrorCode[]
  description: string
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
    description: 'A query or header value is not a non-negative whole number (`invalid_input`).',
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
    description: "The body is larger than the worker's `maxBodyBytes` (refused while it arrives).",
  },
  QueueFull: {
    codes: ['queue_full'],
    description: 'The queue holds as many jobs as the worker allows; try again later.',
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
  return errorStatuses[code]
}

/** `components.responses`: one answer per error kind, its `code` narrowed to the codes it can carry. */
export function errorResponses(): Json {
  const responses: Json = {}
  for (const [name, answer] of Object.entries(errorAnswers) as [ErrorAnswerName, ErrorAnswer][]) {
    const schema = { allOf: [ref('schemas', 'Error'), { properties: { code: { enum: [...answer.codes] } } }] }
    responses[name] = {
      description: `${statusOfAnswer(name)}: ${answer.description}`,
      ...(answer.headers ? { headers: answer.headers } : {}),
      content: { 'application/json': { schema } },
    }
  }
  return responses
}

/** The `Last-Event-ID` / `?lastEventId=` / `?after=` value: a seq of the job's event log. */
const seq = (description: string): Json => ({ type: 'integer', minimum: 0, description })

/** `components.parameters`. */
export function parameters(): Json {
  const wait = (fallback: number, description: string): Json => ({
    name: 'wait',
    in: 'query',
    description: `${description} Larger values are clamped to ${MAX_SYNC_WAIT}.`,
    schema: { type: 'integer', minimum: 0, default: fallback },
  })
  return {
    JobId: { name: 'id', in: 'path', required: true, description: 'The job id `/run` answered.', schema: { type: 'string' } },
    EndpointId: {
      name: 'endpointId',
      in: 'path',
      required: true,
      description: "RunPod's endpoint id: any value is accepted and ignored, so a RunPod client pointed at `/v2` works.",
      schema: { type: 'string' },
    },
    SyncWait: wait(90_000, 'How long to wait for the job to end, ms; then the non-final status object is answered.'),
    PollWait: wait(
      1_000,
      "Polled JSON only: how long to wait for a new output before answering an empty `stream`, ms (the worker's `streamPollWait`, 1000 unless configured)."
    ),
    After: {
      name: 'after',
      in: 'query',
      description: 'Polled JSON only: read the outputs after this seq without draining them, and answer a `cursor` to pass next time.',
      schema: seq('a seq of the event log'),
    },
    LastEventIdHeader: {
      name: 'Last-Event-ID',
      in: 'header',
      description: 'SSE only: resume after this event id (EventSource sends it when it reconnects). Wins over `?lastEventId=`.',
      schema: seq('the `id` of the last event seen'),
    },
    LastEventIdQuery: {
      name: 'lastEventId',
      in: 'query',
      description: 'SSE only: the `Last-Event-ID` header as a query value, for clients that cannot set headers.',
      schema: seq('the `id` of the last event seen'),
    },
  }
}

/** `components.headers`. */
export function headers(): Json {
  const text = (description: string, example?: string): Json => ({
    description,
    schema: { type: 'string', ...(example === undefined ? {} : { examples: [example] }) },
  })
  return {
    'X-Job-Id': text('Sent with every SSE answer: the id of the streamed job (for `POST /stream`, the only place it is told).'),
    'Cache-Control': text('SSE answers are never cached or transformed.', 'no-cache, no-transform'),
    'X-Accel-Buffering': text('Tells nginx-style proxies not to buffer the stream.', 'no'),
    Allow: text('The methods the path accepts.', 'GET, POST'),
    'WWW-Authenticate': text('The scheme to authenticate with.', 'Bearer'),
  }
}

/** The `text/event-stream` media type: the wire text, plus the schema of one event (OpenAPI 3.2's `itemSchema`). */
export const sseMedia: Json = {
  schema: ref('schemas', 'SSEStream'),
  // 3.1 has no `itemSchema`; an extension keeps the per-event schema next to the stream for readers and tools.
  'x-itemSchema': ref('schemas', 'SSEEvent'),
}

const sseExample =
  OPENING_COMMENT +
  encodeEvent({ seq: 1, type: 'output', json: '"token 0"' }) +
  encodeEvent({ seq: 2, type: 'progress', json: '{"percent":50}' }) +
  PING_COMMENT +
  encodeEvent({ seq: 3, type: 'output', json: '"token 1"' }) +
  encodeEvent({
    seq: 4,
    type: 'done',
    json: '{"id":"3f9c0d5e-8a1b-4c2d-9e0f-1a2b3c4d5e6f","status":"COMPLETED","delayTime":2,"executionTime":1530,"workerId":"edgepod-4f1c9a2e"}',
  })

function sseEvent(event: string, description: string, data: Json): Json {
  return {
    type: 'object',
    description,
    required: ['id', 'event', 'data'],
    properties: {
      id: {
        type: 'string',
        pattern: '^[1-9][0-9]*$',
        description:
          "The `id:` field: the event's 1-based seq in the job's log, the same for every reader. Send it back as `Last-Event-ID` to resume after it.",
      },
      event: { const: event, description: 'The `event:` field.' },
      data: {
        type: 'string',
        description: 'The `data:` field: one line of JSON (JSON text holds no raw line break).',
        contentMediaType: 'application/json',
        contentSchema: data,
      },
    },
  }
}

const count = { type: 'integer', minimum: 0 }
const ms = (description: string): Json => ({ type: 'integer', minimum: 0, description })
const nullable = (type: string): string[] => [type, 'null']

/** `components.schemas`; the job input is `inputSchema` when there is one, else any JSON value. */
export function schemas(inputSchema: Json | undefined): Json {
  const duration = (description: string, fallback: number): Json => ({
    type: nullable('integer'),
    minimum: 1,
    maximum: MAX_POLICY_MS,
    default: fallback,
    description: `${description}, ms (null counts as absent).`,
  })
  return {
    JobInput: inputSchema
      ? embedSchema(inputSchema, '#/components/schemas/JobInput')
      : { description: 'Any JSON value (`null` included): the worker publishes no input schema.' },
    JobPolicy: {
      type: nullable('object'),
      description: "Per-job limits (RunPod's `policy`); `null` counts as absent.",
      properties: {
        executionTimeout: duration('Running time after which the job ends `TIMED_OUT` and its handler is cancelled', 600_000),
        ttl: duration('Lifetime from submission; the result is kept until it passes, never dropped while the job runs', 86_400_000),
        lowPriority: { type: nullable('boolean'), default: false, description: 'Queued behind every job that is not low priority.' },
      },
    },
    JobRequest: {
      type: 'object',
      description: 'The body of `/run`, `/runsync` and `POST /stream`. Unknown keys are ignored.',
      required: ['input'],
      properties: {
        input: ref('schemas', 'JobInput'),
        webhook: { type: nullable('string'), format: 'uri', description: "An http(s) URL told of the job's end." },
        policy: ref('schemas', 'JobPolicy'),
        s3Config: { type: nullable('object'), description: 'Passed to the handler as `job.s3Config`, unread by edgepod.' },
      },
    },
    JobStatus: {
      type: 'string',
      enum: Object.keys(jobStatuses),
      description: Object.entries(jobStatuses).map(([status, meaning]) => `\`${status}\`: ${meaning}`).join('; '),
    },
    JobQueued: {
      type: 'object',
      required: ['id', 'status'],
      properties: { id: { type: 'string' }, status: { const: 'IN_QUEUE' } },
    },
    ErrorDetail: {
      type: 'object',
      required: ['type', 'message'],
      properties: {
        type: { type: 'string', description: "The error's class name (`TypeError`, `TimeoutError`, `HandlerError` for a returned `{error}`)." },
        message: { type: 'string' },
        stack: { type: 'string', description: 'Only when the worker exposes stacks.' },
        code: { type: 'string', description: 'A machine-readable reason where edgepod ended the job itself.' },
      },
    },
    StatusObject: {
      type: 'object',
      required: ['id', 'status', 'delayTime', 'executionTime'],
      properties: {
        id: { type: 'string' },
        status: ref('schemas', 'JobStatus'),
        output: {
          description:
            "A plain handler's return value; for a streaming handler with aggregation on, the array of every yielded value (`[]` with it off).",
        },
        error: { type: 'string', description: 'The error message (RunPod-compatible).' },
        errorDetail: ref('schemas', 'ErrorDetail'),
        progress: { description: 'The latest value the handler reported with `job.progress`.' },
        delayTime: ms('Time spent queued.'),
        executionTime: ms('Time spent running.'),
        workerId: { type: 'string', description: 'Present once the job has started.' },
      },
    },
    StatusWithoutOutput: {
      description: 'The status object without `output` (the `done` event, `/cancel`).',
      allOf: [ref('schemas', 'StatusObject')],
      not: { required: ['output'] },
    },
    PolledStream: {
      type: 'object',
      description: "RunPod's polled stream: the outputs no earlier draining read returned (or, with `?after=`, those after it).",
      required: ['id', 'status', 'stream'],
      properties: {
        id: { type: 'string' },
        status: ref('schemas', 'JobStatus'),
        stream: {
          type: 'array',
          items: { type: 'object', required: ['output'], properties: { output: { description: 'One yielded value.' } } },
        },
        cursor: { ...count, description: 'Only with `?after=`: the seq to pass as `after` next time.' },
        error: { type: 'string', description: 'The error message of a failed job.' },
      },
    },
    PurgeResult: {
      type: 'object',
      required: ['removed', 'status'],
      properties: { removed: { ...count, description: 'How many queued jobs were removed.' }, status: { const: 'completed' } },
    },
    Health: {
      type: 'object',
      required: ['jobs', 'workers'],
      properties: {
        jobs: objectOf(['completed', 'failed', 'inProgress', 'inQueue', 'retried']),
        workers: objectOf(['idle', 'running']),
      },
    },
    Error: {
      type: 'object',
      description: 'Every error answer.',
      required: ['error', 'code'],
      properties: {
        error: { type: 'string', description: 'A message for people.' },
        code: { type: 'string', enum: Object.keys(errorStatuses), description: 'The reason, for programs.' },
        details: { type: 'array', items: ref('schemas', 'Issue'), description: 'With `invalid_input`: what is wrong, one issue each.' },
      },
    },
    Issue: {
      type: 'object',
      required: ['path', 'message'],
      properties: {
        path: { type: 'array', items: { type: 'string' }, description: 'Where in the request, from the body (`["input", "prompt"]`).' },
        message: { type: 'string' },
      },
    },
    SSEOutputEvent: sseEvent('output', "Each yield (a plain handler's return value is one `output`).", {
      description: 'The yielded value.',
    }),
    SSEProgressEvent: sseEvent('progress', 'Each `job.progress` report, in order with the outputs.', {
      description: 'The progress value.',
    }),
    SSEDoneEvent: sseEvent(
      'done',
      'Exactly once, last, for every terminal status; a failure mid-stream is a `done` with `FAILED`, never a silent end.',
      ref('schemas', 'StatusWithoutOutput')
    ),
    SSEEvent: {
      oneOf: [ref('schemas', 'SSEOutputEvent'), ref('schemas', 'SSEProgressEvent'), ref('schemas', 'SSEDoneEvent')],
    },
    SSEStream: {
      type: 'string',
      description: [
        "Server-Sent Events of the job's event log. The stream opens with a comment line (so proxies flush) and",
        'sends a `: ping` comment after each quiet keep-alive interval (15 s unless configured); clients ignore both.',
        'Every event is `id: <seq>`, `event: output|progress|done` and one `data:` line of JSON: see',
        '`SSEOutputEvent`, `SSEProgressEvent` and `SSEDoneEvent`. Without `Last-Event-ID` a reader gets the whole log',
        'from id 1, then the live events; with it, the events after it. The stream ends after `done`.',
      ].join(' '),
      examples: [sseExample],
    },
  }
}

function objectOf(keys: string[]): Json {
  return { type: 'object', required: keys, properties: Object.fromEntries(keys.map((key) => [key, count])) }
}

// Values of these keywords are data, not schemas: a `$ref` inside them is not a reference.
const DATA_KEYWORDS = new Set(['const', 'enum', 'default', 'examples', 'example'])
// The keys of these keywords are names (a property may be called `default`); their values are schemas.
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'])

/**
 * A copy of `schema` to place at `pointer` in the document. Its local references (`#`, `#/$defs/…`)
 * were written against its own root; embedded without an `$id` they would resolve against the
 * document's root, so they are re-rooted at `pointer`. A schema (or subschema) with an `$id` is its
 * own resource, its references already resolve inside it, and it is left alone. The `$schema` of
 * draft 2020-12 goes: it is the document's dialect already, and `$schema` belongs at a resource root.
 */
function embedSchema(schema: Json, pointer: string): Json {
  // A JSON round trip: the caller's object is never shared or changed, and what is kept is what is served.
  const copy = JSON.parse(JSON.stringify(schema)) as Json
  if (copy['$schema'] === DRAFT_2020_12) delete copy['$schema']
  if (typeof copy['$id'] === 'string') return copy
  return reroot(copy, pointer, false) as Json
}

function reroot(node: unknown, pointer: string, isMap: boolean): unknown {
  if (Array.isArray(node)) return node.map((item) => reroot(item, pointer, false))
  if (typeof node !== 'object' || node === null) return node
  if (!isMap && typeof (node as Json)['$id'] === 'string') return node
  const out: Json = {}
  for (const [key, value] of Object.entries(node)) {
    if (isMap) out[key] = reroot(value, pointer, false)
    else if (key === '$ref' && typeof value === 'string' && (value === '#' || value.startsWith('#/'))) {
      out[key] = pointer + value.slice(1)
    } else if (DATA_KEYWORDS.has(key)) out[key] = value
    else out[key] = reroot(value, pointer, SCHEMA_MAPS.has(key))
  }
  return out
}

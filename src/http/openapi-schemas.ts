/**
 * The JSON Schemas (draft 2020-12) of the worker's OpenAPI document: the request, the status
 * object, the errors and the SSE events, with the worker's own defaults. `openapi.ts` lays the
 * routes out over them; the error answers and the parameters have their own modules.
 * @module
 */
import { MAX_POLICY_MS } from '../limits.ts'
import { LOG_LEVELS, truncationMarker } from '../engine/log-line.ts'
import type { JobStatus } from '../types.ts'
import { embedSchema } from './embed-schema.ts'
import { statusOfCode } from './http-error.ts'
import type { WorkerLimits } from './route.ts'
import { encodeEvent, OPENING_COMMENT, PING_COMMENT } from './sse.ts'

/** A JSON object of the document. */
export type Json = Record<string, unknown>

type ComponentKind = 'schemas' | 'parameters' | 'headers' | 'requestBodies' | 'responses'

/** A `$ref` to a component of the document. */
export function ref(kind: ComponentKind, name: string): Json {
  return { $ref: `#/components/${kind}/${name}` }
}

/** A JSON answer whose body is the schema component `schema`. */
export function jsonAnswer(description: string, schema: string): Json {
  return { description, content: { 'application/json': { schema: ref('schemas', schema) } } }
}

/** The headers of every SSE answer. */
export const sseAnswerHeaders: Json = {
  'X-Job-Id': ref('headers', 'X-Job-Id'),
  'Cache-Control': ref('headers', 'Cache-Control'),
  'X-Accel-Buffering': ref('headers', 'X-Accel-Buffering'),
}

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
  encodeEvent({ seq: 3, type: 'log', json: '{"message":"cache miss, loading weights","level":"warn","time":1767225600000}' }) +
  PING_COMMENT +
  encodeEvent({ seq: 4, type: 'output', json: '"token 1"' }) +
  encodeEvent({
    seq: 5,
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
export function schemas(inputSchema: Json | undefined, limits: WorkerLimits): Json {
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
        executionTimeout: duration('Running time after which the job ends `TIMED_OUT` and its handler is cancelled', limits.executionTimeout),
        ttl: duration('Lifetime from submission; the result is kept until it passes, never dropped while the job runs', limits.ttl),
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
        s3Config: {
          type: nullable('object'),
          description:
            "RunPod's bucket for this job's files (`job.upload`, and outputs spilled over the limits): `accessId`, `accessSecret`, `bucketName` and `endpointUrl`, all four or none of them. " +
            'Passed to the handler as `job.s3Config`; never shown in a status, an event, a webhook or a log.',
          properties: {
            accessId: { type: 'string' },
            accessSecret: { type: 'string', writeOnly: true },
            bucketName: { type: 'string' },
            endpointUrl: { type: 'string', format: 'uri' },
          },
        },
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
        logs: {
          type: 'array',
          items: ref('schemas', 'LogEntry'),
          description: "Only with `?logs=1`: the current attempt's most recent `job.log` lines, oldest first.",
        },
        logsDropped: { type: 'integer', minimum: 1, description: 'Only with `?logs=1`, when `logs` left some out: how many older lines.' },
        delayTime: ms('Time spent queued.'),
        executionTime: ms('Time spent running.'),
        workerId: { type: 'string', description: 'Present once the job has started.' },
      },
    },
    JobLog: {
      type: 'object',
      description: 'One `job.log` line: the data of a `log` event.',
      required: ['message', 'level', 'time'],
      properties: {
        message: {
          type: 'string',
          description: `The message; one whose event would pass \`maxEventBytes\` (${limits.maxEventBytes}) is cut, and ends \`${truncationMarker('N')}\`.`,
        },
        level: { type: 'string', enum: [...LOG_LEVELS], description: '`info` unless the handler said otherwise.' },
        time: { type: 'integer', minimum: 0, description: 'When the handler logged it, ms since the epoch.' },
      },
    },
    LogEntry: {
      description: 'A `job.log` line in a status object, with the seq of its `log` event.',
      allOf: [ref('schemas', 'JobLog')],
      required: ['seq'],
      properties: { seq: { type: 'integer', minimum: 1, description: "The `log` event's id in the job's event log." } },
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
    OpenAIResult: {
      description: 'What the handler returned (OpenAI’s `chat.completion`, `text_completion` or model list, when it speaks OpenAI), or OpenAI’s `text/event-stream` for `"stream": true`.',
    },
    Ping: { type: 'object', required: ['status'], properties: { status: { const: 'healthy' } } },
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
        workers: objectOf(['idle', 'running', 'initializing', 'ready', 'throttled']),
      },
    },
    Error: {
      type: 'object',
      description: 'Every error answer.',
      required: ['error', 'code'],
      properties: {
        error: { type: 'string', description: 'A message for people.' },
        code: { type: 'string', enum: Object.keys(statusOfCode), description: 'The reason, for programs.' },
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
    SSELogEvent: sseEvent('log', 'Each `job.log` line, in order with the outputs.', ref('schemas', 'JobLog')),
    SSEDoneEvent: sseEvent(
      'done',
      'Exactly once, last, for every terminal status; a failure mid-stream is a `done` with `FAILED`, never a silent end.',
      ref('schemas', 'StatusWithoutOutput')
    ),
    SSEEvent: {
      oneOf: [ref('schemas', 'SSEOutputEvent'), ref('schemas', 'SSEProgressEvent'), ref('schemas', 'SSELogEvent'), ref('schemas', 'SSEDoneEvent')],
    },
    SSEStream: {
      type: 'string',
      description: [
        "Server-Sent Events of the job's event log. The stream opens with a comment line (so proxies flush) and",
        `sends a \`: ping\` comment after each quiet keep-alive interval (the worker's \`keepAlive\`, ${limits.keepAlive} ms); clients ignore both.`,
        'Every event is `id: <seq>`, `event: output|progress|log|done` and one `data:` line of JSON: see',
        '`SSEOutputEvent`, `SSEProgressEvent`, `SSELogEvent` and `SSEDoneEvent`. Without `Last-Event-ID` a reader gets the whole log',
        'from id 1, then the live events; with it, the events after it. The stream ends after `done`.',
      ].join(' '),
      examples: [sseExample],
    },
  }
}

function objectOf(keys: string[]): Json {
  return { type: 'object', required: keys, properties: Object.fromEntries(keys.map((key) => [key, count])) }
}


/**
 * The shared parameters and headers of the worker's OpenAPI document.
 * @module
 */
import { STATUS_LOGS, SYNC_WAIT } from '../limits.ts'
import type { Json } from './openapi-schemas.ts'
import type { WorkerLimits } from './route.ts'

/** The `Last-Event-ID` / `?lastEventId=` / `?after=` value: a seq of the job's event log. */
const seq = (description: string): Json => ({ type: 'integer', minimum: 0, description })

/** `components.parameters`. */
export function parameters(limits: WorkerLimits): Json {
  const wait = (fallback: number, description: string): Json => ({
    name: 'wait',
    in: 'query',
    description: `${description} Larger values are clamped to ${SYNC_WAIT.max}.`,
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
    SyncWait: wait(SYNC_WAIT.default, 'How long to wait for the job to end, ms; then the non-final status object is answered.'),
    PollWait: wait(
      limits.streamPollWait,
      "Polled JSON only: how long to wait for a new output before answering an empty `stream`, ms (the worker's `streamPollWait`)."
    ),
    After: {
      name: 'after',
      in: 'query',
      description: 'Polled JSON only: read the outputs after this seq without draining them, and answer a `cursor` to pass next time.',
      schema: seq('a seq of the event log'),
    },
    Logs: {
      name: 'logs',
      in: 'query',
      description:
        `\`1\` (or \`true\`) adds \`logs\` to the status object: the current attempt's most recent \`job.log\` lines, oldest first, at most ${STATUS_LOGS}, ` +
        'and `logsDropped`, how many older ones were left out, when some were. Without it the status object is unchanged.',
      schema: { type: 'string', enum: ['1', 'true', '0', 'false'], default: '0' },
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

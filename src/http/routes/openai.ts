/**
 * The OpenAI-compatible routes, as RunPod serves its vLLM workers: `POST /openai/v1/chat/completions`,
 * `POST /openai/v1/completions` and `GET /openai/v1/models` (and under `/v2/:endpointId`), each a
 * job like any other, whose input is RunPod's `{ "openai_route": "/v1/…", "openai_input": <the
 * request body> }`. A streamed request (`"stream": true`) is answered OpenAI's SSE
 * (openai-frames.ts), a whole one the handler's one result. docs/protocol.md, "OpenAI-compatible routes".
 * @module
 */
import type { Context } from 'hono'
import type { JobEngine } from '../../engine/engine.ts'
import { WorkerError } from '../../errors.ts'
import { SYNC_WAIT } from '../../limits.ts'
import type { JobState } from '../../store/job-state.ts'
import { eventsOf } from '../../store/store.ts'
import { jobFailure, openAIErrorJson } from '../openai/openai-errors.ts'
import { encodeOpenAIFrame } from '../openai/openai-frames.ts'
import { jsonAnswer } from '../openapi-schemas.ts'
import { readJsonBody } from '../request-body.ts'
import type { AppOptions, Route } from '../route.ts'
import { executionCtxOf, jsonText } from '../route.ts'
import { jobLogOf } from '../sse-reader/job-log.ts'
import { sseStreamOf } from '../sse-reader/stream.ts'
import { sseHeaders } from '../sse.ts'

/** Where the OpenAI-compatible routes are, at the root and under `/v2/:endpointId`. */
export const OPENAI_PATH = '/openai/v1'

/** Submits the OpenAI request `body` for `route` as a job, and answers it as OpenAI would. */
async function answer(c: Context, engine: JobEngine, options: AppOptions, route: string, body: Record<string, unknown>): Promise<Response> {
  const job = await engine.submit(
    { input: { openai_route: route, openai_input: body } },
    // Its own origin: an OpenAI client never resumes, so its leaving cancels the job at once.
    { origin: 'openai', env: c.env, executionCtx: executionCtxOf(c) }
  )
  if (body['stream'] === true) {
    const stream = sseStreamOf(jobLogOf(engine.store.jobs, job.id), {
      after: 0,
      keepAlive: options.keepAlive,
      encode: encodeOpenAIFrame,
      onOpen: () => engine.attachReader(job),
      onClose: () => engine.detachReader(job),
    })
    return new Response(stream, { headers: { ...sseHeaders, 'X-Job-Id': job.id } })
  }
  await engine.waitForEnd(job.id, SYNC_WAIT.max, () => c.req.raw.signal)
  return whole(engine, (await engine.get(job.id)) ?? job)
}

/** The answer of a request that does not stream: the handler's one result, or an OpenAI error. */
async function whole(engine: JobEngine, job: JobState): Promise<Response> {
  const headers = { 'X-Job-Id': job.id }
  const { status, error } = job.attempt
  if (status === 'IN_QUEUE' || status === 'IN_PROGRESS') {
    const message = `the job is still ${status} after ${SYNC_WAIT.max} ms; read it at /status/${job.id}`
    return jsonText(openAIErrorJson(504, message, 'timeout'), 504, headers)
  }
  if (status !== 'COMPLETED') {
    const failure = jobFailure(status, error, undefined)
    return jsonText(failure.json, failure.status, headers)
  }
  const outputs = eventsOf(await engine.store.jobs.read(job.id, 0)).filter((event) => event.type === 'output')
  if (outputs.length === 1) return jsonText(outputs[0]!.json, 200, headers)
  const message =
    outputs.length === 0
      ? 'the handler gave no result'
      : `the handler yielded ${outputs.length} values to a request that does not stream; return one (openaiHandler does)`
  return jsonText(openAIErrorJson(500, message, 'invalid_handler_result'), 500, headers)
}

/** The request body: a JSON object, as OpenAI's API takes. */
async function bodyOf(c: Context, options: AppOptions): Promise<Record<string, unknown>> {
  const body = await readJsonBody(c.req.raw, options.maxBodyBytes)
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new WorkerError('invalid_input', 'the body must be a JSON object, as OpenAI’s API takes')
  }
  return body as Record<string, unknown>
}

const OPENAI_ERRORS = ['InvalidRequest', 'PayloadTooLarge', 'QueueFull', 'Draining'] as const

/** The three routes. */
export const openAIRoutes: readonly Route[] = [
  {
    path: `${OPENAI_PATH}/chat/completions`,
    methods: ['POST'],
    submits: true,
    handler: ({ engine, options }) => async (c) => answer(c, engine, options, '/v1/chat/completions', await bodyOf(c, options)),
    doc: {
      name: 'openaiChatCompletions',
      tag: 'openai',
      summary: 'OpenAI chat completions',
      description:
        'A job whose input is `{"openai_route":"/v1/chat/completions","openai_input":<this body>}`. With `"stream": true`, OpenAI’s Server-Sent Events: one `data:` line per output, then `data: [DONE]`; otherwise the handler’s one result.',
      responses: { 200: jsonAnswer('The handler’s result, or OpenAI’s stream.', 'OpenAIResult') },
      errors: OPENAI_ERRORS,
    },
  },
  {
    path: `${OPENAI_PATH}/completions`,
    methods: ['POST'],
    submits: true,
    handler: ({ engine, options }) => async (c) => answer(c, engine, options, '/v1/completions', await bodyOf(c, options)),
    doc: {
      name: 'openaiCompletions',
      tag: 'openai',
      summary: 'OpenAI completions',
      description: 'As chat completions, with `"openai_route":"/v1/completions"`.',
      responses: { 200: jsonAnswer('The handler’s result, or OpenAI’s stream.', 'OpenAIResult') },
      errors: OPENAI_ERRORS,
    },
  },
  {
    path: `${OPENAI_PATH}/models`,
    methods: ['GET'],
    submits: true,
    handler: ({ engine, options }) => async (c) => answer(c, engine, options, '/v1/models', {}),
    doc: {
      name: 'openaiModels',
      tag: 'openai',
      summary: 'OpenAI models',
      description: 'A job whose input is `{"openai_route":"/v1/models","openai_input":{}}`; the answer is the handler’s result.',
      responses: { 200: jsonAnswer('The handler’s list of models.', 'OpenAIResult') },
      errors: ['QueueFull', 'Draining'],
    },
  },
]

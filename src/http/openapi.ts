/**
 * The worker's OpenAPI 3.1 document (`GET /openapi.json`). Every route is described once, in
 * {@link routes}, and laid out twice: at the root and under `/v2/{endpointId}`, as the app serves it.
 * @module
 */
import type { ErrorAnswerName, Json } from './openapi-schemas.ts'
import { errorResponses, headers, parameters, ref, schemas, sseMedia, statusOfAnswer } from './openapi-schemas.ts'

/** What the document depends on. */
export interface OpenApiOptions {
  /** JSON Schema (draft 2020-12) of the job input, when the worker's validator can produce one. */
  inputSchema?: Record<string, unknown> | undefined
  /** Whether routes require `Authorization: Bearer <key>` (adds a bearer security scheme and 401 answers). */
  auth: boolean
  /** Document title and version. @default 'edgepod worker', '0.1.0' */
  title?: string | undefined
  version?: string | undefined
}

/** The dialect of every Schema Object: OpenAPI 3.1.0's default, JSON Schema 2020-12 plus the OAS vocabulary. */
export const OAS_31_DIALECT = 'https://spec.openapis.org/oas/3.1/dialect/base'

type Method = 'get' | 'post'
type Tag = 'jobs' | 'streams' | 'worker'

/** One route of PROTOCOL.md. */
interface RouteDoc {
  /** The path at the root, in OpenAPI's template syntax. */
  path: string
  methods: readonly Method[]
  /** The operationId stem; the method (when a path has several) and the `v2` prefix make it unique. */
  name: string
  tag: Tag
  summary: string
  description: string
  /** Names in `components.parameters`; `EndpointId` is added under `/v2`. */
  parameters?: readonly string[]
  /** Takes a job request body. */
  jobRequest?: boolean
  /** The answers other than errors. */
  responses: Json
  /** Error answers besides `InternalError` (every route) and `Unauthorized` (with auth). */
  errors: readonly ErrorAnswerName[]
}

const json = (description: string, schema: string): Json => ({
  description,
  content: { 'application/json': { schema: ref('schemas', schema) } },
})

const sseHeaders: Json = {
  'X-Job-Id': ref('headers', 'X-Job-Id'),
  'Cache-Control': ref('headers', 'Cache-Control'),
  'X-Accel-Buffering': ref('headers', 'X-Accel-Buffering'),
}

const SUBMIT_ERRORS = ['InvalidRequest', 'PayloadTooLarge', 'QueueFull'] as const

/** Every route of PROTOCOL.md, once. */
const routes: readonly RouteDoc[] = [
  {
    path: '/run',
    methods: ['post'],
    name: 'run',
    tag: 'jobs',
    summary: 'Queue a job',
    description: 'Queues the job and answers at once; it runs in the background. Read it with `/status`, `/stream` or a webhook.',
    jobRequest: true,
    responses: { 200: json('The job is queued.', 'JobQueued') },
    errors: SUBMIT_ERRORS,
  },
  {
    path: '/runsync',
    methods: ['post'],
    name: 'runSync',
    tag: 'jobs',
    summary: 'Run a job and wait for it',
    description: 'Answers the status object once the job is terminal, or the non-final one (still HTTP 200) when `wait` passes first.',
    parameters: ['SyncWait'],
    jobRequest: true,
    responses: { 200: json('The status object, final unless `wait` passed first.', 'StatusObject') },
    errors: SUBMIT_ERRORS,
  },
  {
    path: '/stream',
    methods: ['post'],
    name: 'runStream',
    tag: 'streams',
    summary: 'Run a job and stream it',
    description:
      "Creates the job and answers its Server-Sent Events at once; `X-Job-Id` names it. When every reader has been gone for the worker's `disconnectGrace`, the job is cancelled.",
    jobRequest: true,
    responses: { 200: { description: "The job's event stream.", headers: sseHeaders, content: { 'text/event-stream': sseMedia } } },
    errors: SUBMIT_ERRORS,
  },
  {
    path: '/stream/{id}',
    methods: ['get', 'post'],
    name: 'streamJob',
    tag: 'streams',
    summary: "Read a job's outputs",
    description: [
      'Content negotiation: a request whose `Accept` names `text/event-stream` gets Server-Sent Events (resume with',
      "`Last-Event-ID` or `?lastEventId=`); any other (`*/*` and `application/json` included) gets RunPod's polled JSON,",
      'which drains: each output is answered to exactly one polled read, unless `?after=` reads without draining.',
    ].join(' '),
    parameters: ['JobId', 'LastEventIdHeader', 'LastEventIdQuery', 'After', 'PollWait'],
    responses: {
      200: {
        description: 'SSE (`text/event-stream`; `X-Job-Id` and the no-cache headers are sent with it) or the polled JSON.',
        headers: sseHeaders,
        content: { 'text/event-stream': sseMedia, 'application/json': { schema: ref('schemas', 'PolledStream') } },
      },
      204: { description: 'SSE only: the reader has already seen `done` (its last event id is the last one), so EventSource stops.' },
    },
    errors: ['InvalidParameter', 'JobNotFound'],
  },
  {
    path: '/status/{id}',
    methods: ['get', 'post'],
    name: 'jobStatus',
    tag: 'jobs',
    summary: "A job's status",
    description: 'The status object now.',
    parameters: ['JobId'],
    responses: { 200: json('The status object.', 'StatusObject') },
    errors: ['JobNotFound'],
  },
  {
    path: '/status-sync/{id}',
    methods: ['get'],
    name: 'jobStatusSync',
    tag: 'jobs',
    summary: "Wait for a job's end",
    description: "Waits like `/runsync` for the job to end, then answers the status object (RunPod's JS client uses it).",
    parameters: ['JobId', 'SyncWait'],
    responses: { 200: json('The status object, final unless `wait` passed first.', 'StatusObject') },
    errors: ['InvalidParameter', 'JobNotFound'],
  },
  {
    path: '/cancel/{id}',
    methods: ['post'],
    name: 'cancelJob',
    tag: 'jobs',
    summary: 'Cancel a job',
    description: "Ends the job `CANCELLED` and aborts its handler's `job.signal`; a job already terminal keeps its status.",
    parameters: ['JobId'],
    responses: { 200: json('The status object without `output`.', 'StatusWithoutOutput') },
    errors: ['JobNotFound'],
  },
  {
    path: '/retry/{id}',
    methods: ['post'],
    name: 'retryJob',
    tag: 'jobs',
    summary: 'Retry a failed job',
    description: 'Puts a `FAILED` or `TIMED_OUT` job back in the queue with the same id and input; other states answer 409.',
    parameters: ['JobId'],
    responses: { 200: json('The job is queued again.', 'JobQueued') },
    errors: ['JobNotFound', 'InvalidState', 'QueueFull'],
  },
  {
    path: '/purge-queue',
    methods: ['post'],
    name: 'purgeQueue',
    tag: 'worker',
    summary: 'Drop queued jobs',
    description: 'Removes the jobs still `IN_QUEUE`; running jobs go on.',
    responses: { 200: json('How many jobs were removed.', 'PurgeResult') },
    errors: [],
  },
  {
    path: '/health',
    methods: ['get'],
    name: 'health',
    tag: 'worker',
    summary: 'Job and worker counts',
    description: "RunPod's health shape.",
    responses: { 200: json('The counts.', 'Health') },
    errors: [],
  },
  {
    path: '/openapi.json',
    methods: ['get'],
    name: 'openApi',
    tag: 'worker',
    summary: 'This document',
    description: 'The OpenAPI 3.1 document of the worker.',
    responses: { 200: { description: 'This document.', content: { 'application/json': { schema: { type: 'object' } } } } },
    errors: [],
  },
]

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1)

function operation(route: RouteDoc, method: Method, v2: boolean, auth: boolean): Json {
  const stem = route.methods.length > 1 ? `${route.name}${capitalised(method)}` : route.name
  const names = [...(v2 ? ['EndpointId'] : []), ...(route.parameters ?? [])]
  const errors: ErrorAnswerName[] = [...route.errors, ...(auth ? (['Unauthorized'] as const) : []), 'InternalError']
  const responses: Json = { ...route.responses }
  for (const name of errors) {
    const status = String(statusOfAnswer(name))
    // Two answers under one status would silently hide one: a mistake in the table above.
    if (status in responses) throw new Error(`openapi: ${route.path} has two answers for ${status}`)
    responses[status] = ref('responses', name)
  }
  return {
    operationId: v2 ? `v2${capitalised(stem)}` : stem,
    tags: [v2 ? 'v2' : route.tag],
    summary: route.summary,
    description: route.description,
    ...(names.length > 0 ? { parameters: names.map((name) => ref('parameters', name)) } : {}),
    ...(route.jobRequest ? { requestBody: ref('requestBodies', 'JobRequest') } : {}),
    responses: Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b))),
  }
}

function paths(auth: boolean): Json {
  const out: Json = {}
  for (const v2 of [false, true]) {
    for (const route of routes) {
      const allowed = route.methods.map((method) => method.toUpperCase()).join(', ')
      const item: Json = {
        description: `Other methods answer 405 \`method_not_allowed\` with \`Allow: ${allowed}\` (components/responses/MethodNotAllowed).`,
      }
      for (const method of route.methods) item[method] = operation(route, method, v2, auth)
      out[v2 ? `/v2/{endpointId}${route.path}` : route.path] = item
    }
  }
  return out
}

const DESCRIPTION = [
  "RunPod's serverless endpoint API, plus Server-Sent Events with resume and one error shape.",
  'Every route is served at the root and under `/v2/{endpointId}/` (any endpoint id), so a RunPod client pointed at `/v2` works unchanged.',
  'Errors are JSON `{"error","code","details"?}` (schema `Error`); a path no route has answers 404 `not_found`.',
].join('\n\n')

/** An OpenAPI 3.1.0 document describing every route of the worker, built fresh (the caller may cache it). */
export function openApiDocument(options: OpenApiOptions): Record<string, unknown> {
  const components: Json = {
    schemas: schemas(options.inputSchema),
    parameters: parameters(),
    headers: headers(),
    requestBodies: {
      JobRequest: {
        description: 'A job request. The body is read as JSON whatever its `Content-Type`.',
        required: true,
        content: { 'application/json': { schema: ref('schemas', 'JobRequest') } },
      },
    },
    responses: errorResponses(),
  }
  if (options.auth) {
    components['securitySchemes'] = {
      bearerAuth: { type: 'http', scheme: 'bearer', description: 'One of the API keys the worker was started with.' },
    }
  }
  const document = {
    openapi: '3.1.0',
    jsonSchemaDialect: OAS_31_DIALECT,
    info: { title: options.title ?? 'edgepod worker', version: options.version ?? '0.1.0', description: DESCRIPTION },
    tags: [
      { name: 'jobs', description: 'Submit, wait for, inspect, cancel and retry jobs.' },
      { name: 'streams', description: "A job's outputs as Server-Sent Events or RunPod's polled JSON." },
      { name: 'worker', description: 'The queue, the counts and this document.' },
      { name: 'v2', description: 'The same routes under `/v2/{endpointId}`, where RunPod clients call them.' },
    ],
    ...(options.auth ? { security: [{ bearerAuth: [] }] } : {}),
    paths: paths(options.auth),
    components,
  }
  // The route table's objects are shared between paths and calls: a JSON copy hands out a tree of
  // its own, with no object in two places, so a caller may change it freely.
  return JSON.parse(JSON.stringify(document)) as Record<string, unknown>
}

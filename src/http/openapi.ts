/**
 * The worker's OpenAPI 3.1 document (`GET /openapi.json`), laid out from the route table: every
 * route twice, at the root and under `/v2/{endpointId}`, as the app serves it, with the worker's
 * own defaults and limits.
 * @module
 */
import { DEFAULT_LIMITS } from '../limits.ts'
import type { ErrorAnswerName } from './openapi-errors.ts'
import { errorResponses, statusOfAnswer } from './openapi-errors.ts'
import { headers, parameters } from './openapi-parameters.ts'
import type { Json } from './openapi-schemas.ts'
import { ref, schemas } from './openapi-schemas.ts'
import type { Method, Route, WorkerLimits } from './route.ts'

/** What the document depends on. */
export interface OpenApiOptions {
  /** The routes to describe: the app's route table. */
  routes: readonly Route[]
  /** JSON Schema (draft 2020-12) of the job input, when the worker's validator can produce one. */
  inputSchema?: Record<string, unknown> | undefined
  /** Whether routes require `Authorization: Bearer <key>` (adds a bearer security scheme and 401 answers). */
  auth: boolean
  /** The worker's defaults and limits. @default the library's */
  limits?: WorkerLimits | undefined
  /** Whether the jobs live in a store shared by processes (Redis), which may be unreachable (503). */
  sharedStore?: boolean | undefined
  /** Document title and version. @default 'edgepod worker', '0.1.0' */
  title?: string | undefined
  version?: string | undefined
}

/** A route's path in OpenAPI's template syntax (`/stream/{id}`). */
const templateOf = (path: string) => path.replace(/:([a-z]+)/gi, '{$1}')

/** The dialect of every Schema Object: OpenAPI 3.1.0's default, JSON Schema 2020-12 plus the OAS vocabulary. */
export const OAS_31_DIALECT = 'https://spec.openapis.org/oas/3.1/dialect/base'

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1)

/** What every operation of one document shares. */
interface DocumentContext {
  auth: boolean
  limits: WorkerLimits
  sharedStore: boolean
}

function operation(route: Route, method: Method, v2: boolean, context: DocumentContext): Json {
  const { auth, limits } = context
  const doc = route.doc
  const stem = route.methods.length > 1 ? `${doc.name}${capitalised(method.toLowerCase())}` : doc.name
  const names = [...(v2 ? ['EndpointId'] : []), ...(doc.parameters ?? [])]
  // Every route but this document's own reads or writes the store.
  const store = context.sharedStore && !route.doc.storeFree ? (['StoreUnavailable'] as const) : []
  // A process of a fleet that drains leaves submissions to the others: it never refuses them.
  const own = context.sharedStore ? doc.errors.filter((name) => name !== 'Draining') : doc.errors
  const errors: ErrorAnswerName[] = [...own, ...(auth ? (['Unauthorized'] as const) : []), ...store, 'InternalError']
  const responses: Json = { ...doc.responses }
  for (const name of errors) {
    const status = String(statusOfAnswer(name))
    // Two answers under one status would silently hide one: a mistake in the route table.
    if (status in responses) throw new Error(`openapi: ${route.path} has two answers for ${status}`)
    responses[status] = ref('responses', name)
  }
  return {
    operationId: v2 ? `v2${capitalised(stem)}` : stem,
    tags: [v2 ? 'v2' : doc.tag],
    summary: doc.summary,
    description: typeof doc.description === 'function' ? doc.description(limits) : doc.description,
    ...(names.length > 0 ? { parameters: names.map((name) => ref('parameters', name)) } : {}),
    ...(doc.jobRequest ? { requestBody: ref('requestBodies', 'JobRequest') } : {}),
    responses: Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b))),
  }
}

function paths(routes: readonly Route[], context: DocumentContext): Json {
  const out: Json = {}
  for (const v2 of [false, true]) {
    for (const route of routes) {
      const allowed = route.methods.join(', ')
      const item: Json = {
        description: `Other methods answer 405 \`method_not_allowed\` with \`Allow: ${allowed}\` (components/responses/MethodNotAllowed).`,
      }
      for (const method of route.methods) item[method.toLowerCase()] = operation(route, method, v2, context)
      const path = templateOf(route.path)
      out[v2 ? `/v2/{endpointId}${path}` : path] = item
    }
  }
  return out
}

const DESCRIPTION = [
  "RunPod's serverless endpoint API, plus Server-Sent Events with resume and one error shape.",
  'Every route is served at the root and under `/v2/{endpointId}/` (any endpoint id), so a RunPod client pointed at `/v2` works unchanged.',
  'Errors are JSON `{"error","code","details"?}` (schema `Error`); a path no route has answers 404 `not_found`.',
  "`info.x-edgepod-limits` holds the worker's own defaults and limits (ms and bytes); `null` is no limit.",
].join('\n\n')

/** An OpenAPI 3.1.0 document describing every route of the worker, built fresh (the caller may cache it). */
export function openApiDocument(options: OpenApiOptions): Record<string, unknown> {
  const limits = options.limits ?? DEFAULT_LIMITS
  const components: Json = {
    schemas: schemas(options.inputSchema, limits),
    parameters: parameters(limits),
    headers: headers(),
    requestBodies: {
      JobRequest: {
        description: 'A job request. The body is read as JSON whatever its `Content-Type`.',
        required: true,
        content: { 'application/json': { schema: ref('schemas', 'JobRequest') } },
      },
    },
    responses: errorResponses(limits),
  }
  if (options.auth) {
    components['securitySchemes'] = {
      bearerAuth: { type: 'http', scheme: 'bearer', description: 'One of the API keys the worker was started with.' },
    }
  }
  const document = {
    openapi: '3.1.0',
    jsonSchemaDialect: OAS_31_DIALECT,
    info: {
      title: options.title ?? 'edgepod worker',
      version: options.version ?? '0.1.0',
      description: DESCRIPTION,
      // What this worker runs with, for clients and tools that plan around it.
      'x-edgepod-limits': limits,
    },
    tags: [
      { name: 'jobs', description: 'Submit, wait for, inspect, cancel and retry jobs.' },
      { name: 'streams', description: "A job's outputs as Server-Sent Events or RunPod's polled JSON." },
      { name: 'worker', description: 'The queue, the counts and this document.' },
      { name: 'openai', description: 'OpenAI-compatible routes, as RunPod serves vLLM workers: each request a job.' },
      { name: 'v2', description: 'The same routes under `/v2/{endpointId}`, where RunPod clients call them.' },
    ],
    ...(options.auth ? { security: [{ bearerAuth: [] }] } : {}),
    paths: paths(options.routes, { auth: options.auth, limits, sharedStore: options.sharedStore ?? false }),
    components,
  }
  // The route table's objects are shared between paths and calls: a JSON copy hands out a tree of
  // its own, with no object in two places, so a caller may change it freely.
  return JSON.parse(JSON.stringify(document)) as Record<string, unknown>
}

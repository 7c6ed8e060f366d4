/**
 * The playground's default input, found out from the worker itself: the example of the job input
 * schema that its `GET /openapi.json` publishes.
 * @module
 */
import type { FetchHandler } from '../adapter/server.ts'
import { exampleInput } from './example-input.ts'

/**
 * What the page starts its input box with. `schema`: the example built from the worker's input
 * schema. `none`: the worker publishes no input schema (or no OpenAPI document), so the page
 * shows its own example. `locked`: the document wants an API key the request did not carry, so
 * the page asks again with the key typed into it.
 */
export type InputDefault = { source: 'schema'; example: unknown } | { source: 'none' } | { source: 'locked' }

const NONE: InputDefault = { source: 'none' }

// Keywords that describe without constraining: a schema made only of these accepts anything, as
// the document's JobInput does (a description alone) when the worker has no schema.
const ANNOTATIONS = new Set(['$schema', '$id', '$comment', 'title', 'description', 'deprecated', 'readOnly', 'writeOnly'])

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** The job input schema in an OpenAPI document served by an edgepod worker, if it says anything. */
function inputSchemaOf(document: unknown): unknown {
  const schemas = isObject(document) && isObject(document['components']) ? document['components']['schemas'] : undefined
  const schema = isObject(schemas) ? schemas['JobInput'] : undefined
  return isObject(schema) && Object.keys(schema).some((keyword) => !ANNOTATIONS.has(keyword)) ? schema : undefined
}

/**
 * Asks `worker` for its OpenAPI document, in process, as `request` would: same origin, env and
 * execution context, and its `Authorization` header if it has one (a page's navigation never does;
 * the page's own request for its default input does). Never throws: a worker whose document cannot
 * be had leaves the page its own example.
 */
export async function inputDefaultOf(worker: FetchHandler, request: Request, env?: unknown, executionCtx?: unknown): Promise<InputDefault> {
  const headers = new Headers({ Accept: 'application/json' })
  const authorization = request.headers.get('Authorization')
  if (authorization !== null) headers.set('Authorization', authorization)
  try {
    const response = await worker.fetch(new Request(new URL('/openapi.json', request.url), { headers }), env, executionCtx)
    if (!response.ok) {
      await response.body?.cancel()
      return response.status === 401 ? { source: 'locked' } : NONE
    }
    const document: unknown = await response.json()
    const schema = inputSchemaOf(document)
    if (schema === undefined) return NONE
    // The document's references were re-rooted at its JobInput: they resolve against the whole document.
    const example = exampleInput(schema, { root: document })
    return example === undefined ? NONE : { source: 'schema', example }
  } catch {
    // A worker that throws here, or a document that is not JSON: the page works all the same.
    return NONE
  }
}

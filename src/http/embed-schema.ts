/**
 * A worker's input schema, placed inside the OpenAPI document with its references still resolving.
 * @module
 */

/** A JSON object. */
type Json = Record<string, unknown>

const DRAFT_2020_12 = 'https://json-schema.org/draft/2020-12/schema'

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
export function embedSchema(schema: Json, pointer: string): Json {
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

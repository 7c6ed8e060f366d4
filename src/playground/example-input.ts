/**
 * An example value built from a JSON Schema (draft 2020-12, as zod and arktype render a job
 * input): what the playground prefills its input box with.
 * @module
 */

/** A JSON object. */
type Json = Record<string, unknown>

/** Options of {@link exampleInput}. */
export interface ExampleOptions {
  /**
   * The document that `#…` references resolve against: the OpenAPI document when the schema is one
   * embedded in it (its references are re-rooted there). @default the schema itself
   */
  root?: unknown
}

/** Where references resolve, and which ones are being expanded (a recursive schema stops there). */
interface Scope {
  readonly base: unknown
  readonly expanding: readonly string[]
}

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)
const has = (schema: Json, keyword: string) => Object.hasOwn(schema, keyword)

/**
 * An example of what `schema` accepts. On each (sub)schema, the first that applies: its `default`;
 * its `examples[0]` or `example`; its `const` or first `enum` value; its `$ref`'s example; the
 * first usable branch of `anyOf`/`oneOf`, the merged branches of `allOf`; else a placeholder by
 * type: `""`, `0` (moved into `minimum`…`maximum` when 0 is outside them), `false`, `null`, `[]`
 * (or `minItems` examples of its items, the items of `prefixItems`), and an object of its required
 * properties plus the optional ones that have a default. Undefined when nothing can be built (a
 * `false` schema, a reference that does not resolve or that recurses into itself).
 *
 * ```ts
 * exampleInput({ type: 'object', properties: { prompt: { type: 'string', default: 'hello' } } }) // { prompt: 'hello' }
 * ```
 */
export function exampleInput(schema: unknown, options: ExampleOptions = {}): unknown {
  return exampleOf(schema, { base: options.root ?? schema, expanding: [] })
}

function exampleOf(schema: unknown, scope: Scope): unknown {
  if (schema === true) return null
  if (!isObject(schema)) return undefined
  // A resource with its own `$id` is the base of the references inside it (embedSchema leaves those alone).
  if (typeof schema['$id'] === 'string') scope = { ...scope, base: schema }
  // A copy: the caller may change the example without changing the schema.
  if (has(schema, 'default')) return structuredClone(schema['default'])
  if (Array.isArray(schema['examples']) && schema['examples'].length > 0) return structuredClone(schema['examples'][0])
  if (has(schema, 'example')) return structuredClone(schema['example'])
  if (has(schema, 'const')) return structuredClone(schema['const'])
  if (Array.isArray(schema['enum']) && schema['enum'].length > 0) return structuredClone(schema['enum'][0])
  if (typeof schema['$ref'] === 'string') return refExample(schema['$ref'], scope)
  for (const keyword of ['anyOf', 'oneOf']) {
    const branches = schema[keyword]
    if (Array.isArray(branches)) return branchExample(branches, scope)
  }
  if (Array.isArray(schema['allOf'])) return mergedExample(schema, schema['allOf'], scope)
  return placeholder(schema, scope)
}

function refExample(ref: string, scope: Scope): unknown {
  if (scope.expanding.includes(ref)) return undefined
  const target = resolve(ref, scope.base)
  return target === undefined ? undefined : exampleOf(target, { ...scope, expanding: [...scope.expanding, ref] })
}

/** A local reference (`#`, `#/$defs/Item`) in `base`; anything else (another document, an anchor) is not followed. */
function resolve(ref: string, base: unknown): unknown {
  if (ref === '#') return base
  if (!ref.startsWith('#/')) return undefined
  let node = base
  for (const token of ref.slice(2).split('/')) {
    let key: string
    try {
      key = decodeURIComponent(token).replaceAll('~1', '/').replaceAll('~0', '~')
    } catch {
      return undefined
    }
    if (Array.isArray(node)) node = node[Number(key)]
    else if (isObject(node) && has(node, key)) node = node[key]
    else return undefined
  }
  return node
}

/** The first branch that is not just `null` (an optional value is better shown filled), else the first. */
function branchExample(branches: unknown[], scope: Scope): unknown {
  const onlyNull = (branch: unknown) => isObject(branch) && branch['type'] === 'null'
  for (const branch of branches) {
    if (onlyNull(branch)) continue
    const example = exampleOf(branch, scope)
    if (example !== undefined) return example
  }
  return branches.length > 0 ? exampleOf(branches[0], scope) : undefined
}

/** `allOf`: objects are merged (each part adds properties), anything else is the first part's example. */
function mergedExample(schema: Json, parts: unknown[], scope: Scope): unknown {
  const { allOf: _, ...own } = schema
  const examples = [own, ...parts]
    .filter((part) => !isObject(part) || Object.keys(part).length > 0)
    .map((part) => exampleOf(part, scope))
    .filter((example) => example !== undefined && example !== null)
  if (examples.length > 0 && examples.every(isObject)) return Object.assign({}, ...examples)
  return examples[0] ?? null
}

/** The JSON type a schema describes: its `type` (the first that is not `null`), else what its keywords imply. */
function typeOf(schema: Json): string | undefined {
  const type = schema['type']
  if (typeof type === 'string') return type
  if (Array.isArray(type)) return type.find((name) => name !== 'null') ?? type[0]
  if (has(schema, 'properties') || has(schema, 'required') || has(schema, 'additionalProperties')) return 'object'
  if (has(schema, 'items') || has(schema, 'prefixItems')) return 'array'
  if (['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'].some((keyword) => has(schema, keyword))) return 'number'
  if (['minLength', 'maxLength', 'pattern', 'format'].some((keyword) => has(schema, keyword))) return 'string'
  return undefined
}

function placeholder(schema: Json, scope: Scope): unknown {
  switch (typeOf(schema)) {
    case 'string':
      return ''
    case 'number':
      return numberIn(schema, false)
    case 'integer':
      return numberIn(schema, true)
    case 'boolean':
      return false
    case 'array':
      return arrayExample(schema, scope)
    case 'object':
      return objectExample(schema, scope)
    default:
      return null
  }
}

const bound = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined)

/**
 * 0 when the range allows it, else the bound nearest to it. Not simply `minimum`: zod gives every
 * integer `minimum: -9007199254740991`, and that is no one's example.
 */
function numberIn(schema: Json, integer: boolean): number {
  const minimum = bound(schema['minimum'])
  const maximum = bound(schema['maximum'])
  const exclusiveMinimum = bound(schema['exclusiveMinimum'])
  const exclusiveMaximum = bound(schema['exclusiveMaximum'])
  // The least and greatest values allowed; an exclusive bound is stepped over (`positive()` gives 1).
  const low = Math.max(
    minimum === undefined ? -Infinity : integer ? Math.ceil(minimum) : minimum,
    exclusiveMinimum === undefined ? -Infinity : integer ? Math.floor(exclusiveMinimum) + 1 : exclusiveMinimum + 1
  )
  const high = Math.min(
    maximum === undefined ? Infinity : integer ? Math.floor(maximum) : maximum,
    exclusiveMaximum === undefined ? Infinity : integer ? Math.ceil(exclusiveMaximum) - 1 : exclusiveMaximum - 1
  )
  // Bounds closer than a step (0 < x < 1): between them.
  if (low > high) return ((exclusiveMinimum ?? minimum ?? 0) + (exclusiveMaximum ?? maximum ?? 0)) / 2
  return Math.min(Math.max(0, low), high)
}

function arrayExample(schema: Json, scope: Scope): unknown[] {
  if (Array.isArray(schema['prefixItems'])) return schema['prefixItems'].map((item) => exampleOf(item, scope) ?? null)
  const count = bound(schema['minItems']) ?? 0
  if (count === 0 || !has(schema, 'items')) return []
  const item = exampleOf(schema['items'], scope) ?? null
  return Array.from({ length: Math.min(count, 100) }, () => structuredClone(item))
}

/** Whether an optional property's schema gives it a default, directly or through its reference. */
function hasDefault(schema: unknown, scope: Scope): boolean {
  if (!isObject(schema)) return false
  if (has(schema, 'default')) return true
  const ref = schema['$ref']
  return typeof ref === 'string' && !scope.expanding.includes(ref) && hasDefault(resolve(ref, scope.base), scope)
}

function objectExample(schema: Json, scope: Scope): Json {
  const properties = isObject(schema['properties']) ? schema['properties'] : {}
  const required = new Set(Array.isArray(schema['required']) ? schema['required'].filter((name) => typeof name === 'string') : [])
  const out: Json = {}
  for (const [name, property] of Object.entries(properties)) {
    if (!required.has(name) && !hasDefault(property, scope)) continue
    const example = exampleOf(property, scope)
    if (example !== undefined) out[name] = example
  }
  // A required property the schema says nothing more about: present, as the one value any schema allows.
  for (const name of required) if (!Object.hasOwn(out, name) && !has(properties, name)) out[name] = null
  return out
}

/**
 * Each attempt's own copy of its job's input, so that a retry sees the input as it was sent even
 * when an earlier attempt mutated it.
 * @module
 */

/** How deep a plain copy goes before it hands the value to `structuredClone`. */
const MAX_PLAIN_DEPTH = 64

/** Thrown inside {@link plainCopy} at a value it does not copy itself. */
const NOT_PLAIN = Symbol('not plain')

/** The objects a copy has met below the top, made at the first one: most inputs have none. */
interface CopyState {
  seen: Set<object> | undefined
}

/**
 * A copy of a JSON tree: objects whose prototype is `Object.prototype` or null, dense arrays, and
 * primitives, each object met once. Anything else (a `Date`, a `Map`, a typed array, a hole, an
 * object met twice, so a cycle or a shared one, a depth past {@link MAX_PLAIN_DEPTH}) throws
 * {@link NOT_PLAIN}, as does a getter that throws.
 */
function plainCopy(value: unknown, depth: number, state: CopyState): unknown {
  if (typeof value !== 'object' || value === null) {
    if (typeof value === 'function' || typeof value === 'symbol') throw NOT_PLAIN
    return value
  }
  if (depth > MAX_PLAIN_DEPTH) throw NOT_PLAIN
  if (depth > 0) {
    const seen = (state.seen ??= new Set())
    if (seen.has(value)) throw NOT_PLAIN
    seen.add(value)
  }
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) throw NOT_PLAIN
    const copy: unknown[] = new Array(value.length)
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index]
      if (item === undefined && !(index in value)) throw NOT_PLAIN
      copy[index] = plainCopy(item, depth + 1, state)
    }
    return copy
  }
  const prototype: unknown = Object.getPrototypeOf(value)
  if (prototype !== Object.prototype && prototype !== null) throw NOT_PLAIN
  const copy: Record<string, unknown> = prototype === null ? Object.create(null) : {}
  for (const key of Object.keys(value)) {
    const member = plainCopy((value as Record<string, unknown>)[key], depth + 1, state)
    // JSON.parse makes "__proto__" an own key; assigning it would set the copy's prototype instead.
    if (key === '__proto__') Object.defineProperty(copy, key, { value: member, enumerable: true, writable: true, configurable: true })
    else copy[key] = member
  }
  return copy
}

/**
 * A copy of `input` for one attempt. Inputs from HTTP are parsed JSON, copied here in plain code:
 * for the small input of a typical job that is several times cheaper than `structuredClone`, which
 * copies everything else, as it always did (shared objects stay shared, cycles stay cycles, holes
 * stay holes). An input `structuredClone` cannot copy either is passed as it is.
 *
 * Two differences with `structuredClone` alone, both outside JSON: a getter read before the plain
 * copy gave up is read again by `structuredClone`, and an array's own properties that are not
 * indexes are not copied.
 */
export function cloneInput(input: unknown): unknown {
  if (typeof input !== 'object' || input === null) return input
  try {
    return plainCopy(input, 0, { seen: undefined })
  } catch {
    // Not a JSON tree, or a getter threw: structuredClone says what it makes of it.
  }
  try {
    return structuredClone(input)
  } catch {
    return input
  }
}

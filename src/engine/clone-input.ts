/**
 * Each attempt's own copy of its job's input, so that a retry sees the input as it was sent even
 * when an earlier attempt mutated it.
 * @module
 */

/** How deep a plain copy goes before it hands the value to `structuredClone` (a cycle, say). */
const MAX_PLAIN_DEPTH = 64

/** Thrown inside {@link plainCopy} at a value it does not copy itself. */
const NOT_PLAIN = Symbol('not plain')

/**
 * A copy of a JSON value: objects whose prototype is `Object.prototype` or null, arrays, and
 * primitives. Anything else (a `Date`, a `Map`, a typed array, a cycle) throws {@link NOT_PLAIN}.
 */
function plainCopy(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) {
    if (typeof value === 'function' || typeof value === 'symbol') throw NOT_PLAIN
    return value
  }
  if (depth > MAX_PLAIN_DEPTH) throw NOT_PLAIN
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) throw NOT_PLAIN
    const copy: unknown[] = new Array(value.length)
    for (let index = 0; index < value.length; index++) copy[index] = plainCopy(value[index], depth + 1)
    return copy
  }
  const prototype: unknown = Object.getPrototypeOf(value)
  if (prototype !== Object.prototype && prototype !== null) throw NOT_PLAIN
  const copy: Record<string, unknown> = prototype === null ? Object.create(null) : {}
  for (const key of Object.keys(value)) {
    const member = plainCopy((value as Record<string, unknown>)[key], depth + 1)
    // JSON.parse makes "__proto__" an own key; assigning it would set the copy's prototype instead.
    if (key === '__proto__') Object.defineProperty(copy, key, { value: member, enumerable: true, writable: true, configurable: true })
    else copy[key] = member
  }
  return copy
}

/**
 * A copy of `input` for one attempt. Inputs from HTTP are parsed JSON, copied here in plain code:
 * for the small input of a typical job that is several times cheaper than `structuredClone`, which
 * copies everything else an in-process caller may pass. An input neither can copy is passed as it
 * is.
 */
export function cloneInput(input: unknown): unknown {
  try {
    return plainCopy(input, 0)
  } catch (error) {
    if (error !== NOT_PLAIN) throw error
  }
  try {
    return structuredClone(input)
  } catch {
    return input
  }
}

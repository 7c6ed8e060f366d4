/**
 * Turns whatever a handler returned into either one value or a source of outputs. Detection looks
 * at the returned value, never at the function, so wrappers, higher-order functions and class
 * instances behave like the generators they return.
 * @module
 */

/** A pull-based source of outputs that can be stopped from outside. */
export interface OutputSource {
  /** The next output; a sync iterator answers without a promise. */
  next(): IteratorResult<unknown> | Promise<IteratorResult<unknown>>
  /**
   * Stops the source so its cleanup runs: `return()` on an iterator (`finally` blocks run),
   * `cancel()` on a stream. Resolves when the cleanup has finished; never rejects.
   */
  stop(reason: unknown): Promise<void>
  /** True when {@link OutputSource.next} never returns a promise (sync generators, Sets, ...). */
  readonly sync: boolean
}

/** What a handler's (awaited) return value is: one value, or a stream of outputs. */
export type HandlerOutcome = { kind: 'value'; value: unknown } | { kind: 'stream'; source: OutputSource }

export { isPromiseLike } from '../awaitable.ts'

/** Classifies an already-awaited return value. Strings (boxed too), arrays and byte arrays are values. */
export function outcomeOf(value: unknown): HandlerOutcome {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function') || value instanceof String) {
    return { kind: 'value', value }
  }
  const candidate = value as Record<PropertyKey, unknown>
  if (typeof candidate['getReader'] === 'function' && typeof candidate['cancel'] === 'function') {
    return { kind: 'stream', source: readableSource(value as ReadableStream<unknown>) }
  }
  if (typeof candidate[Symbol.asyncIterator] === 'function') {
    const iterator = (value as AsyncIterable<unknown>)[Symbol.asyncIterator]()
    return { kind: 'stream', source: iteratorSource(iterator, false) }
  }
  if (typeof candidate[Symbol.iterator] === 'function' && !Array.isArray(value) && !ArrayBuffer.isView(value)) {
    const iterator = (value as Iterable<unknown>)[Symbol.iterator]()
    return { kind: 'stream', source: iteratorSource(iterator, true) }
  }
  return { kind: 'value', value }
}

function iteratorSource(iterator: Iterator<unknown> | AsyncIterator<unknown>, sync: boolean): OutputSource {
  return new IteratorSource(iterator, sync)
}

/**
 * A class rather than a closure over the iterator: `next` is called for every output, and V8
 * inlines a closure with its own job's iterator, so code optimised during one job would be thrown
 * away when the next one starts.
 */
class IteratorSource implements OutputSource {
  readonly sync: boolean
  readonly #iterator: Iterator<unknown> | AsyncIterator<unknown>
  #stopped: Promise<void> | undefined

  constructor(iterator: Iterator<unknown> | AsyncIterator<unknown>, sync: boolean) {
    this.#iterator = iterator
    this.sync = sync
  }

  next(): IteratorResult<unknown> | Promise<IteratorResult<unknown>> {
    return this.#iterator.next()
  }

  stop(reason: unknown): Promise<void> {
    // An async generator queues return() behind a pending next(): it resolves once the
    // handler's current await settles and its finally blocks have run.
    this.#stopped ??= (async () => {
      try {
        await this.#iterator.return?.(reason)
      } catch {
        // The handler's cleanup threw; the job's outcome is already recorded.
      }
    })()
    return this.#stopped
  }
}

function readableSource(stream: ReadableStream<unknown>): OutputSource {
  const reader = stream.getReader()
  // A stream of bytes (a fetch body, an upstream model's tokens) becomes text outputs.
  const decoder = new TextDecoder()
  let finished = false
  let stopped: Promise<void> | undefined
  const next = async (): Promise<IteratorResult<unknown>> => {
    for (;;) {
      if (finished) return { done: true, value: undefined }
      const { done, value } = await reader.read()
      if (done) {
        finished = true
        const rest = decoder.decode()
        return rest ? { done: false, value: rest } : { done: true, value: undefined }
      }
      if (!(value instanceof Uint8Array) && !(value instanceof ArrayBuffer)) return { done: false, value }
      const text = decoder.decode(value, { stream: true })
      // A chunk that ends inside a multi-byte character may decode to nothing yet.
      if (text) return { done: false, value: text }
    }
  }
  return {
    sync: false,
    next,
    stop(reason) {
      stopped ??= reader.cancel(reason).then(
        () => undefined,
        () => undefined
      )
      return stopped
    },
  }
}

import { describe, it, expect, vi } from 'vitest'
import type { HandlerOutcome, OutputSource } from './output-source.ts'
import { isPromiseLike, outcomeOf } from './output-source.ts'

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function sourceOf(value: unknown): OutputSource {
  const outcome = outcomeOf(value)
  if (outcome.kind !== 'stream') throw new Error(`expected a stream outcome, got ${outcome.kind}`)
  return outcome.source
}

/** Every output of a source, in order. */
async function drain(source: OutputSource): Promise<unknown[]> {
  const values: unknown[] = []
  for (;;) {
    const result = await source.next()
    if (result.done) return values
    values.push(result.value)
  }
}

/** Lets every pending promise job and one macrotask turn run (no timer, no sleep). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

function streamOf<T>(chunks: readonly T[]): ReadableStream<T> {
  let index = 0
  return new ReadableStream<T>({
    pull(controller) {
      if (index < chunks.length) controller.enqueue(chunks[index++] as T)
      else controller.close()
    },
  })
}

/** Splits `bytes` into one chunk per entry of `sizes` (the last chunk takes the rest). */
function splitAt(bytes: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = []
  let from = 0
  for (const size of sizes) {
    chunks.push(bytes.slice(from, from + size))
    from += size
  }
  if (from < bytes.length) chunks.push(bytes.slice(from))
  return chunks
}

/** A high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

class Countdown {
  readonly from: number
  constructor(from: number) {
    this.from = from
  }
  async *[Symbol.asyncIterator](): AsyncGenerator<number> {
    for (let i = this.from; i > 0; i--) yield i
  }
}

class SyncRange implements Iterable<number> {
  readonly end: number
  constructor(end: number) {
    this.end = end
  }
  *[Symbol.iterator](): Generator<number> {
    for (let i = 0; i < this.end; i++) yield i
  }
}

// ---------------------------------------------------------------------------------------------
// isPromiseLike
// ---------------------------------------------------------------------------------------------

describe('isPromiseLike', () => {
  it.each<[string, unknown, boolean]>([
    ['a promise', Promise.resolve(1), true],
    ['a thenable object', { then: () => undefined }, true],
    ['a function with a then method', Object.assign(() => undefined, { then: () => undefined }), true],
    ['an object whose then is not a function', { then: 1 }, false],
    ['a plain object', {}, false],
    ['null', null, false],
    ['undefined', undefined, false],
    ['a number', 1, false],
    ['a string', 'then', false],
    ['an async generator object', (async function* () {})(), false],
  ])('answers %s with %s', (_name, value, expected) => {
    expect(isPromiseLike(value)).toBe(expected)
  })
})

// ---------------------------------------------------------------------------------------------
// outcomeOf: classification
// ---------------------------------------------------------------------------------------------

describe('outcomeOf', () => {
  const symbol = Symbol('s')
  const fn = () => 1
  const valueCases: Array<[string, unknown]> = [
    ['undefined', undefined],
    ['null', null],
    ['true', true],
    ['false', false],
    ['zero', 0],
    ['NaN', Number.NaN],
    ['a bigint', 10n],
    ['a symbol', symbol],
    ['an empty string', ''],
    ['a string (iterable, but a value)', 'abc'],
    ['an array (iterable, but a value)', [1, 2, 3]],
    ['an empty array', []],
    ['a Uint8Array (iterable, but a value)', new Uint8Array([1, 2])],
    ['a Float64Array', new Float64Array([1.5])],
    ['a DataView', new DataView(new ArrayBuffer(2))],
    ['an ArrayBuffer', new ArrayBuffer(4)],
    ['a plain object', { a: 1 }],
    ['an object with a null prototype', Object.create(null) as object],
    ['a Date', new Date(0)],
    ['an Error', new Error('x')],
    ['a function', fn],
    ['a promise (already-awaited values are classified as they are)', Promise.resolve(1)],
    ['an object whose Symbol.iterator is not a function', { [Symbol.iterator]: 1 }],
    ['an object with getReader but no cancel', { getReader: () => undefined }],
  ]

  it.each(valueCases)('treats %s as one value, the very same value', (_name, value) => {
    const outcome = outcomeOf(value)
    expect(outcome.kind).toBe('value')
    expect((outcome as Extract<HandlerOutcome, { kind: 'value' }>).value).toBe(value)
  })

  it('treats a subclass of Array as a value', () => {
    class Tokens extends Array<string> {}
    const tokens = Tokens.from(['a', 'b'])
    expect(outcomeOf(tokens)).toEqual({ kind: 'value', value: tokens })
  })

  it('treats a Node Buffer (a Uint8Array) as a value', () => {
    expect(outcomeOf(Buffer.from('hi')).kind).toBe('value')
  })

  // Boxed strings are iterable objects; they are values all the same, never read char by char.
  it('treats a boxed String as a value', () => {
    expect(outcomeOf(new String('abc')).kind).toBe('value')
  })

  describe('sources', () => {
    it('reads a sync generator synchronously, in order', () => {
      const source = sourceOf(
        (function* () {
          yield 1
          yield 'two'
          yield { three: 3 }
        })()
      )
      expect(source.sync).toBe(true)
      const first = source.next()
      expect(isPromiseLike(first)).toBe(false)
      expect(first).toEqual({ done: false, value: 1 })
      expect(source.next()).toEqual({ done: false, value: 'two' })
      expect(source.next()).toEqual({ done: false, value: { three: 3 } })
      expect(source.next()).toEqual({ done: true, value: undefined })
    })

    it("reports a sync generator's return value as the done result, not as an output", () => {
      const source = sourceOf(
        (function* () {
          yield 1
          return 'end'
        })()
      )
      expect(source.next()).toEqual({ done: false, value: 1 })
      expect(source.next()).toEqual({ done: true, value: 'end' })
    })

    it('reads an async generator through promises, in order', async () => {
      const source = sourceOf(
        (async function* () {
          yield 1
          await Promise.resolve()
          yield 2
        })()
      )
      expect(source.sync).toBe(false)
      const first = source.next()
      expect(isPromiseLike(first)).toBe(true)
      expect(await first).toEqual({ done: false, value: 1 })
      expect(await drain(source)).toEqual([2])
    })

    it('lets an async generator’s error reach the reader', async () => {
      const source = sourceOf(
        (async function* () {
          yield 1
          throw new TypeError('bad')
        })()
      )
      await expect(source.next()).resolves.toEqual({ done: false, value: 1 })
      await expect(source.next()).rejects.toThrow(TypeError)
    })

    it('reads a Set as a sync source of its members', async () => {
      const source = sourceOf(new Set(['a', 'b', 'a', 'c']))
      expect(source.sync).toBe(true)
      expect(await drain(source)).toEqual(['a', 'b', 'c'])
    })

    it('reads a Map as a sync source of [key, value] entries', async () => {
      const source = sourceOf(
        new Map<string, number>([
          ['x', 1],
          ['y', 2],
        ])
      )
      expect(source.sync).toBe(true)
      expect(await drain(source)).toEqual([
        ['x', 1],
        ['y', 2],
      ])
    })

    it('reads Map and array iterators (not arrays) as sources', async () => {
      expect(await drain(sourceOf([1, 2].values()))).toEqual([1, 2])
      expect(await drain(sourceOf(new Map([[1, 'a']]).keys()))).toEqual([1])
    })

    it('reads a class instance with [Symbol.asyncIterator] as an async source', async () => {
      const source = sourceOf(new Countdown(3))
      expect(source.sync).toBe(false)
      expect(await drain(source)).toEqual([3, 2, 1])
    })

    it('reads a class instance with [Symbol.iterator] as a sync source', async () => {
      const source = sourceOf(new SyncRange(3))
      expect(source.sync).toBe(true)
      expect(await drain(source)).toEqual([0, 1, 2])
    })

    it('prefers [Symbol.asyncIterator] over [Symbol.iterator] when an object has both', async () => {
      const both = {
        *[Symbol.iterator]() {
          yield 'sync'
        },
        async *[Symbol.asyncIterator]() {
          yield 'async'
        },
      }
      const source = sourceOf(both)
      expect(source.sync).toBe(false)
      expect(await drain(source)).toEqual(['async'])
    })

    it('calls [Symbol.asyncIterator] once, at classification', () => {
      const iterator = { next: async () => ({ done: true as const, value: undefined }) }
      const factory = vi.fn(() => iterator)
      const iterable = { [Symbol.asyncIterator]: factory }
      outcomeOf(iterable)
      expect(factory).toHaveBeenCalledTimes(1)
      expect(factory.mock.contexts[0]).toBe(iterable)
    })

    it('reads a ReadableStream of values as its values, not decoded', async () => {
      const values = [{ token: 'a' }, 'b', 3, null, [4]]
      const source = sourceOf(streamOf<unknown>(values))
      expect(source.sync).toBe(false)
      expect(await drain(source)).toEqual(values)
    })

    it('reads an empty ReadableStream as no outputs', async () => {
      expect(await drain(sourceOf(streamOf<unknown>([])))).toEqual([])
    })

    it('reads a ReadableStream ahead of its async iterator (it is also async iterable)', async () => {
      const stream = streamOf(['x'])
      expect(typeof (stream as unknown as Record<symbol, unknown>)[Symbol.asyncIterator]).toBe('function')
      const source = sourceOf(stream)
      expect(stream.locked).toBe(true)
      expect(await drain(source)).toEqual(['x'])
    })

    it('decodes a ReadableStream of UTF-8 bytes into text outputs', async () => {
      const encoder = new TextEncoder()
      const source = sourceOf(streamOf([encoder.encode('Hello, '), encoder.encode('world')]))
      expect(await drain(source)).toEqual(['Hello, ', 'world'])
    })

    it('decodes ArrayBuffer chunks too', async () => {
      const bytes = new TextEncoder().encode('buffer')
      expect(await drain(sourceOf(streamOf([bytes.buffer])))).toEqual(['buffer'])
    })

    it('decodes the body of a real Response', async () => {
      const source = sourceOf(new Response('a response body').body)
      expect((await drain(source)).join('')).toBe('a response body')
    })

    it.each<[string, string, number[]]>([
      ['a two-byte character split after its first byte', 'caf\u00e9!', [4]],
      ['a three-byte character split after one byte', 'x\u20ac y', [2]],
      ['a three-byte character split after two bytes', 'x\u20ac y', [3]],
      ['a four-byte emoji split into single bytes', 'a😀b', [1, 1, 1, 1, 1]],
      ['a four-byte emoji split after three bytes', '😀😀', [3]],
      ['every byte its own chunk', 'ñ€😀 mixed ✓', Array<number>(30).fill(1)],
    ])('never splits %s, and never yields replacement characters or empty strings', async (_name, text, sizes) => {
      const chunks = splitAt(new TextEncoder().encode(text), sizes)
      const outputs = await drain(sourceOf(streamOf(chunks)))
      expect(outputs.join('')).toBe(text)
      for (const output of outputs) {
        expect(typeof output).toBe('string')
        expect(output).not.toBe('')
        expect(output).not.toContain('\ufffd')
        // Each output is well-formed UTF-16: no lone surrogate halves of a split emoji.
        expect(output).not.toMatch(loneSurrogate)
      }
    })

    it('holds back a partial character until the chunk that completes it', async () => {
      const bytes = new TextEncoder().encode('é') // 0xc3 0xa9
      const source = sourceOf(streamOf([Uint8Array.of(0x61, 0xc3), Uint8Array.of(0xa9, 0x62)]))
      expect(bytes).toEqual(Uint8Array.of(0xc3, 0xa9))
      await expect(source.next()).resolves.toEqual({ done: false, value: 'a' })
      await expect(source.next()).resolves.toEqual({ done: false, value: 'éb' })
      await expect(source.next()).resolves.toEqual({ done: true, value: undefined })
    })

    it('ends a byte stream that stops inside a character with one replacement character', async () => {
      const source = sourceOf(streamOf([Uint8Array.of(0x61), Uint8Array.of(0xf0, 0x9f)]))
      expect(await drain(source)).toEqual(['a', '\ufffd'])
      // And it stays finished.
      await expect(source.next()).resolves.toEqual({ done: true, value: undefined })
    })
  })
})

// ---------------------------------------------------------------------------------------------
// stop()
// ---------------------------------------------------------------------------------------------

describe('OutputSource.stop', () => {
  it("runs a suspended async generator's finally block before it resolves", async () => {
    const steps: string[] = []
    const source = sourceOf(
      (async function* () {
        try {
          yield 1
          steps.push('after yield')
          yield 2
        } finally {
          steps.push('finally start')
          await Promise.resolve()
          steps.push('finally end')
        }
      })()
    )
    await source.next()
    await source.stop(new Error('cancelled'))
    expect(steps).toEqual(['finally start', 'finally end'])
    await expect(source.next()).resolves.toEqual({ done: true, value: undefined })
  })

  it("runs a suspended sync generator's finally block", async () => {
    const steps: string[] = []
    const source = sourceOf(
      (function* () {
        try {
          yield 1
          yield 2
        } finally {
          steps.push('finally')
        }
      })()
    )
    source.next()
    await source.stop('reason')
    expect(steps).toEqual(['finally'])
    expect(source.next()).toEqual({ done: true, value: undefined })
  })

  it('runs the finally block of an async generator suspended in an await only after that await settles', async () => {
    // An async generator queues return() behind the pending next(): it cannot interrupt an await.
    // The handler must watch job.signal to stop a long await early.
    const steps: string[] = []
    let release!: (value: string) => void
    const gate = new Promise<string>((resolve) => {
      release = resolve
    })
    const source = sourceOf(
      (async function* () {
        try {
          yield 'first'
          steps.push('awaiting')
          const value = await gate
          steps.push('await settled')
          yield value
          steps.push('never: return() resumes at the yield')
        } finally {
          steps.push('finally')
        }
      })()
    )
    await source.next()
    const pending = source.next() // the generator is now suspended in `await gate`
    const stopped = source.stop('cancelled')
    let stopSettled = false
    void stopped.then(() => {
      stopSettled = true
    })

    await settle()
    expect(steps).toEqual(['awaiting'])
    expect(stopSettled).toBe(false)

    release('late value')
    await stopped
    expect(steps).toEqual(['awaiting', 'await settled', 'finally'])
    // The pending next() still gets the value the generator yielded after its await.
    await expect(pending).resolves.toEqual({ done: false, value: 'late value' })
  })

  it('resolves for a generator that was never started, without running its body', async () => {
    const body = vi.fn()
    const source = sourceOf(
      (async function* () {
        body()
        yield 1
      })()
    )
    await source.stop('reason')
    expect(body).not.toHaveBeenCalled()
    await expect(source.next()).resolves.toEqual({ done: true, value: undefined })
  })

  it('resolves for a generator that has already finished', async () => {
    const source = sourceOf(
      (async function* () {
        yield 1
      })()
    )
    await drain(source)
    await expect(source.stop('late')).resolves.toBeUndefined()
  })

  it('is idempotent: the cleanup runs once and every call gets the same promise', async () => {
    const finallyRuns = vi.fn()
    const generator = (async function* () {
      try {
        yield 1
        yield 2
      } finally {
        finallyRuns()
      }
    })()
    const returnSpy = vi.spyOn(generator, 'return')
    const source = sourceOf(generator)
    await source.next()
    const first = source.stop('a')
    const second = source.stop('b')
    expect(second).toBe(first)
    await Promise.all([first, second, source.stop('c')])
    expect(finallyRuns).toHaveBeenCalledTimes(1)
    expect(returnSpy).toHaveBeenCalledTimes(1)
    expect(returnSpy).toHaveBeenCalledWith('a')
  })

  it('never rejects when an async generator’s finally block throws', async () => {
    const source = sourceOf(
      (async function* () {
        try {
          yield 1
        } finally {
          throw new Error('cleanup failed')
        }
      })()
    )
    await source.next()
    await expect(source.stop('reason')).resolves.toBeUndefined()
    await expect(source.stop('again')).resolves.toBeUndefined()
  })

  it('never rejects when a sync generator’s finally block throws', async () => {
    const source = sourceOf(
      (function* () {
        try {
          yield 1
        } finally {
          throw new Error('cleanup failed')
        }
      })()
    )
    source.next()
    await expect(source.stop('reason')).resolves.toBeUndefined()
  })

  it('never rejects when an iterator’s return() throws synchronously', async () => {
    const iterable = {
      [Symbol.iterator]() {
        return {
          next: () => ({ done: false, value: 1 }),
          return: (): IteratorResult<unknown> => {
            throw new Error('return threw')
          },
        }
      },
    }
    await expect(sourceOf(iterable).stop('reason')).resolves.toBeUndefined()
  })

  it('resolves for an iterator that has no return() method', async () => {
    const iterable = {
      [Symbol.asyncIterator]() {
        return { next: async () => ({ done: false, value: 1 }) }
      },
    }
    await expect(sourceOf(iterable).stop('reason')).resolves.toBeUndefined()
  })

  it("passes the reason to a custom iterator's return()", async () => {
    const returned = vi.fn(async (value?: unknown) => ({ done: true as const, value }))
    const iterable = {
      [Symbol.asyncIterator]() {
        return { next: async () => ({ done: false, value: 1 }), return: returned }
      },
    }
    const reason = new Error('why')
    await sourceOf(iterable).stop(reason)
    expect(returned).toHaveBeenCalledExactlyOnceWith(reason)
  })

  it("waits for a custom iterator's asynchronous return() to finish", async () => {
    let finish!: () => void
    const iterable = {
      [Symbol.asyncIterator]() {
        return {
          next: async () => ({ done: false, value: 1 }),
          return: () =>
            new Promise<IteratorResult<unknown>>((resolve) => {
              finish = () => resolve({ done: true, value: undefined })
            }),
        }
      },
    }
    let resolved = false
    const stopped = sourceOf(iterable)
      .stop('x')
      .then(() => {
        resolved = true
      })
    await settle()
    expect(resolved).toBe(false)
    finish()
    await stopped
    expect(resolved).toBe(true)
  })

  it("passes the reason to a ReadableStream's cancel callback, once", async () => {
    const cancel = vi.fn()
    const stream = new ReadableStream<string>({
      start(controller) {
        controller.enqueue('a')
      },
      cancel,
    })
    const source = sourceOf(stream)
    await expect(source.next()).resolves.toEqual({ done: false, value: 'a' })
    const reason = new DOMException('The job was cancelled', 'AbortError')
    const first = source.stop(reason)
    expect(source.stop('second')).toBe(first)
    await first
    expect(cancel).toHaveBeenCalledExactlyOnceWith(reason)
  })

  it('waits for an asynchronous cancel callback of a ReadableStream', async () => {
    let finish!: () => void
    const stream = new ReadableStream<string>({
      cancel: () =>
        new Promise<void>((resolve) => {
          finish = resolve
        }),
    })
    let resolved = false
    const stopped = sourceOf(stream)
      .stop('x')
      .then(() => {
        resolved = true
      })
    await settle()
    expect(resolved).toBe(false)
    finish()
    await stopped
    expect(resolved).toBe(true)
  })

  it('never rejects when a ReadableStream’s cancel callback throws', async () => {
    const stream = new ReadableStream<string>({
      cancel() {
        throw new Error('cancel failed')
      },
    })
    await expect(sourceOf(stream).stop('reason')).resolves.toBeUndefined()
  })

  it('never rejects for an errored ReadableStream', async () => {
    const stream = new ReadableStream<string>({
      start(controller) {
        controller.error(new Error('broken'))
      },
    })
    const source = sourceOf(stream)
    await expect(source.next()).rejects.toThrow('broken')
    await expect(source.stop('reason')).resolves.toBeUndefined()
  })

  it('ends a pending read of a ReadableStream, which then reports done', async () => {
    const stream = new ReadableStream<string>({}) // never produces anything
    const source = sourceOf(stream)
    const pending = source.next()
    await source.stop('stop')
    await expect(pending).resolves.toEqual({ done: true, value: undefined })
    await expect(source.next()).resolves.toEqual({ done: true, value: undefined })
  })
})

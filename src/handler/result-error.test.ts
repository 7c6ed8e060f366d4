import { describe, it, expect } from 'vitest'
import type { SplitResult } from './result-error.ts'
import { errorOfYield, splitReturnedValue } from './result-error.ts'

class Result {
  error = 'looks like an error'
  refresh_worker = true
}

describe('splitReturnedValue', () => {
  describe('RunPod’s {error} convention (docs/protocol.md, "Handler results")', () => {
    it.each<[string, Record<string, unknown>, SplitResult]>([
      ['{error: "x"} fails with no output', { error: 'bad seed' }, { error: 'bad seed', output: undefined }],
      [
        '{error: "x", detail: 1} fails with the other keys as output',
        { error: 'x', detail: 1 },
        { error: 'x', output: { value: { detail: 1 } } },
      ],
      [
        'several other keys all stay in the output',
        { error: 'x', a: 1, b: [2], c: { d: null } },
        { error: 'x', output: { value: { a: 1, b: [2], c: { d: null } } } },
      ],
      ['an object error becomes its JSON', { error: { a: 1 } }, { error: '{"a":1}', output: undefined }],
      ['an array error becomes its JSON', { error: ['a', 1] }, { error: '["a",1]', output: undefined }],
      ['a number error becomes its text', { error: 42 }, { error: '42', output: undefined }],
      ['error: true becomes "true"', { error: true }, { error: 'true', output: undefined }],
      ['a string error is kept exactly, quotes and all', { error: '"quoted"\n' }, { error: '"quoted"\n', output: undefined }],
    ])('%s', (_name, value, expected) => {
      expect(splitReturnedValue(value)).toEqual(expected)
    })

    it.each<[string, unknown]>([
      ['an empty string', ''],
      ['zero', 0],
      ['NaN', Number.NaN],
      ['false', false],
      ['null', null],
      ['undefined', undefined],
      ['an empty list (falsy in Python)', []],
      ['an empty object (falsy in Python)', {}],
    ])('does not fail on a falsy error (%s), and drops the error key', (_name, error) => {
      expect(splitReturnedValue({ error })).toEqual({ error: undefined, output: undefined })
      expect(splitReturnedValue({ error, text: 'ok' })).toEqual({ error: undefined, output: { value: { text: 'ok' } } })
    })

    it('never throws on an error value that JSON cannot encode', () => {
      const circular: Record<string, unknown> = {}
      circular['self'] = circular
      const split = splitReturnedValue({ error: circular })
      expect(typeof split.error).toBe('string')
      expect(splitReturnedValue({ error: 10n }).error).toBe('10')
    })

    // A JS handler that returns `{ error: err }` with a caught Error means its message, as RunPod's
    // str(exception) does, not its JSON (`{}`).
    it('uses the message of an Error returned as the error', () => {
      expect(splitReturnedValue({ error: new Error('boom') }).error).toContain('boom')
    })
  })

  describe('refresh_worker', () => {
    it.each<[string, Record<string, unknown>, SplitResult]>([
      ['alone, leaves no output', { refresh_worker: true }, { error: undefined, output: undefined, refresh: true }],
      ['false, is stripped too', { refresh_worker: false, a: 1 }, { error: undefined, output: { value: { a: 1 } } }],
      ['with other keys, leaves them as output', { refresh_worker: true, a: 1 }, { error: undefined, output: { value: { a: 1 } }, refresh: true }],
      ['with an error, is stripped from the output', { error: 'x', refresh_worker: true, b: 2 }, { error: 'x', output: { value: { b: 2 } }, refresh: true }],
      ['with only an error, leaves no output', { error: 'x', refresh_worker: true }, { error: 'x', output: undefined, refresh: true }],
    ])('%s', (_name, value, expected) => {
      expect(splitReturnedValue(value)).toEqual(expected)
    })
  })

  describe('values without the convention', () => {
    it('gives undefined no output at all', () => {
      expect(splitReturnedValue(undefined)).toEqual({ error: undefined, output: undefined })
    })

    it.each<[string, unknown]>([
      ['null', null],
      ['zero', 0],
      ['false', false],
      ['an empty string', ''],
      ['a string', 'error'],
      ['an empty object', {}],
      ['an object without error keys', { result: 1, errors: ['not the key'] }],
      ['an array holding an {error} object', [{ error: 'x' }]],
      ['a class instance with error and refresh_worker fields', new Result()],
      ['an Error', new Error('thrown, not returned')],
      ['a Map with an error entry', new Map([['error', 'x']])],
      ['a Date', new Date(0)],
      ['an object inheriting from another object', Object.assign(Object.create({ inherited: true }) as object, { error: 'x' })],
    ])('keeps %s, the very same value, as the output', (_name, value) => {
      const split = splitReturnedValue(value)
      expect(split.error).toBeUndefined()
      expect(split.output).toBeDefined()
      expect(split.output?.value).toBe(value)
    })

    it('treats a null-prototype object as a plain object', () => {
      const value = Object.assign(Object.create(null) as Record<string, unknown>, { error: 'x', keep: 1 })
      expect(splitReturnedValue(value)).toEqual({ error: 'x', output: { value: { keep: 1 } } })
    })

    it('does not mutate the returned object', () => {
      const value = { error: 'x', refresh_worker: true, keep: 1 }
      splitReturnedValue(value)
      expect(value).toEqual({ error: 'x', refresh_worker: true, keep: 1 })
    })

    it('returns the remaining keys as a new object, not the original', () => {
      const value = { error: 'x', keep: 1 }
      expect(splitReturnedValue(value).output?.value).not.toBe(value)
    })
  })
})

describe('errorOfYield', () => {
  it.each<[string, unknown, string | undefined]>([
    ['a string error', { error: 'stop' }, 'stop'],
    ['an error with other keys (which are dropped)', { error: 'stop', output: 'partial', refresh_worker: true }, 'stop'],
    ['an object error', { error: { code: 7 } }, '{"code":7}'],
    ['a number error', { error: 3 }, '3'],
    ['an empty-string error', { error: '' }, undefined],
    ['a null error', { error: null }, undefined],
    ['a false error', { error: false }, undefined],
    ['a zero error', { error: 0 }, undefined],
    ['refresh_worker alone', { refresh_worker: true }, undefined],
    ['an object without error', { token: 'a' }, undefined],
    ['a string', 'error', undefined],
    ['null', null, undefined],
    ['undefined', undefined, undefined],
    ['an array holding an {error} object', [{ error: 'x' }], undefined],
    ['a class instance with an error field', new Result(), undefined],
    ['an Error', new Error('x'), undefined],
    ['a null-prototype object', Object.assign(Object.create(null) as object, { error: 'np' }), 'np'],
  ])('answers a yielded %s with %j', (_name, value, expected) => {
    expect(errorOfYield(value)).toBe(expected)
  })
})

import { describe, it, expect } from 'vitest'
import { workerErrorThrownBy } from '../../test/helpers/http-error.ts'
import { errorResponse, statusOfCode } from './http-error.ts'
import { acceptsEventStream, parseCount, parseFlag, parseWait } from './params.ts'


describe('parseCount', () => {
  it.each<[string | null | undefined]>([[null], [undefined], [''], [' '], ['\t\n ']])(
    'returns the fallback for the absent or blank value %j',
    (raw) => {
      expect(parseCount(raw, 'after', 17)).toBe(17)
    }
  )

  it.each<[string, number]>([
    ['0', 0],
    ['1', 1],
    ['42', 42],
    ['007', 7],
    [' 12 ', 12],
    ['\t5\n', 5],
    ['999999999999999', 999_999_999_999_999],
  ])('reads %j as %d', (raw, expected) => {
    expect(parseCount(raw, 'after', 3)).toBe(expected)
  })

  it.each<[string]>([
    ['-1'],
    ['+1'],
    ['1.5'],
    ['1.'],
    ['.5'],
    ['1e3'],
    ['0x10'],
    ['0b1'],
    ['Infinity'],
    ['NaN'],
    ['abc'],
    ['12abc'],
    ['1 2'],
    ['1,000'],
    ['1_000'],
    ['١٢'], // Arabic-Indic digits are not ASCII digits
    ['１２'], // full-width digits
    ['1234567890123456'], // 16 digits: past what is exact as a double
  ])('refuses %j with a 400 invalid_input that names the parameter and quotes the value', (raw) => {
    const error = workerErrorThrownBy(() => parseCount(raw, 'lastEventId', 0))
    expect(error.code).toBe('invalid_input')
    expect(statusOfCode[error.code]).toBe(400)
    expect(error.message).toContain('lastEventId')
    expect(error.message).toContain(JSON.stringify(raw))
  })

  it('quotes at most the first 40 characters of a long bad value', () => {
    const raw = 'x'.repeat(39) + 'yz' + 'w'.repeat(1000)
    const error = workerErrorThrownBy(() => parseCount(raw, 'after', 0))
    expect(error.message).toContain(JSON.stringify('x'.repeat(39) + 'y'))
    expect(error.message).not.toContain('yz')
    expect(error.message.length).toBeLessThan(200)
  })

  it('gives an error whose JSON answer carries the status and code', async () => {
    const response = errorResponse(workerErrorThrownBy(() => parseCount('-5', 'wait', 0)))
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({ error: expect.stringContaining('wait'), code: 'invalid_input' })
  })
})

describe('parseWait', () => {
  it('returns the fallback when wait is absent', () => {
    expect(parseWait(null, 90_000, 300_000)).toBe(90_000)
    expect(parseWait(undefined, 90_000, 300_000)).toBe(90_000)
    expect(parseWait('', 90_000, 300_000)).toBe(90_000)
  })

  it.each<[string, number]>([
    ['0', 0],
    ['1', 1],
    ['299999', 299_999],
    ['300000', 300_000],
    ['300001', 300_000],
    ['999999999999999', 300_000],
  ])('reads wait=%s as %d with a maximum of 300000', (raw, expected) => {
    expect(parseWait(raw, 90_000, 300_000)).toBe(expected)
  })

  it('clamps the fallback to the maximum too', () => {
    expect(parseWait(null, 500_000, 300_000)).toBe(300_000)
  })

  it.each<[string]>([['-1'], ['1.5'], ['soon'], ['1e5']])('refuses wait=%j with a 400 invalid_input naming wait', (raw) => {
    const error = workerErrorThrownBy(() => parseWait(raw, 90_000, 300_000))
    expect(error.code).toBe('invalid_input')
    expect(statusOfCode[error.code]).toBe(400)
    expect(error.message).toMatch(/^wait /)
  })
})

describe('parseFlag', () => {
  it.each<[string | null | undefined, boolean]>([
    [undefined, false],
    [null, false],
    ['', false],
    ['0', false],
    ['false', false],
    ['1', true],
    ['true', true],
    [' TRUE ', true],
  ])('reads logs=%j as %j', (raw, expected) => {
    expect(parseFlag(raw, 'logs')).toBe(expected)
  })

  it.each<[string]>([['yes'], ['2'], ['on'], ['-1']])('refuses logs=%j with a 400 invalid_input naming logs and the value', (raw) => {
    const error = workerErrorThrownBy(() => parseFlag(raw, 'logs'))
    expect(error.code).toBe('invalid_input')
    expect(error.message).toBe(`logs must be 1, true, 0 or false, got ${JSON.stringify(raw)}`)
  })
})

describe('acceptsEventStream', () => {
  it.each<[string | null, boolean]>([
    [null, false],
    ['', false],
    ['text/event-stream', true],
    ['TEXT/EVENT-STREAM', true],
    ['Text/Event-Stream', true],
    ['  text/event-stream  ', true],
    ['text/event-stream;charset=utf-8', true],
    ['text/event-stream ; charset=utf-8', true],
    ['text/event-stream;q=1', true],
    ['text/event-stream; q=0.5', true],
    ['text/event-stream;q=0.001', true],
    ['text/event-stream;q=0', false],
    ['text/event-stream; q=0', false],
    ['text/event-stream;q=0.0', false],
    ['text/event-stream;q=0.000', false],
    ['text/event-stream;charset=utf-8;q=0', false],
    ['*/*', false],
    ['text/*', false],
    ['application/json', false],
    ['application/json, text/plain, */*', false],
    ['application/json, text/event-stream', true],
    ['application/json;q=0.9,text/event-stream;q=0.1', true],
    ['*/*;q=0.8, text/event-stream', true],
    ['text/html,application/xhtml+xml,text/event-stream;q=0.9,*/*;q=0.8', true],
    ['application/json,text/event-stream;q=0', false],
    ['text/event-stream-extra', false],
    ['text/event-streams', false],
    ['xtext/event-stream', false],
    ['text/eventstream', false],
    ['application/text/event-stream', false],
  ])('answers %j with %s', (accept, expected) => {
    expect(acceptsEventStream(accept)).toBe(expected)
  })

  it('reads the Accept header of a real Request', () => {
    expect(acceptsEventStream(new Request('http://x/', { headers: { Accept: 'text/event-stream' } }).headers.get('accept'))).toBe(true)
    expect(acceptsEventStream(new Request('http://x/').headers.get('accept'))).toBe(false)
  })

  // Parameter names are case-insensitive (RFC 9110 §5.6.6), so `Q=0` refuses SSE too.
  it('treats an uppercase Q=0 weight as a refusal', () => {
    expect(acceptsEventStream('text/event-stream;Q=0')).toBe(false)
  })
})

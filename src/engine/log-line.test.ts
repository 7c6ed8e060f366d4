import { describe, expect, it } from 'vitest'
import { utf8Length } from '../utf8-length.ts'
import { LOG_LEVELS, logEventJson, truncationMarker } from './log-line.ts'

const T = 1767225600000
const MB = 1024 * 1024

describe('the JSON of a log event', () => {
  it('is {"message","level","time"} in that order, info by default', () => {
    expect(logEventJson('loading weights', undefined, T, MB)).toBe('{"message":"loading weights","level":"info","time":1767225600000}')
    for (const level of LOG_LEVELS) expect(JSON.parse(logEventJson('m', level, T, MB))).toEqual({ message: 'm', level, time: T })
    // A message that needs escapes is one line of JSON: the SSE `data:` line and Redis's batches rely on it.
    const json = logEventJson('a "quoted"\nline\u2028', 'warn', T, MB)
    expect(json).not.toMatch(/\n/)
    expect(JSON.parse(json).message).toBe('a "quoted"\nline\u2028')
  })

  it('throws a TypeError naming the levels for a level not in the list, and for a message that is not a string', () => {
    for (const level of ['INFO', 'warning', '', null, 3]) {
      expect(() => logEventJson('m', level, T, MB)).toThrow(new TypeError(`job.log: the level must be one of debug, info, warn, error, got ${typeof level === 'string' ? JSON.stringify(level) : level === null ? 'null' : 'number'}`))
    }
    expect(() => logEventJson({ text: 'm' }, 'info', T, MB)).toThrow(new TypeError('job.log: the message must be a string, got object'))
    expect(() => logEventJson(undefined, 'info', T, MB)).toThrow(TypeError)
  })
})

describe('a log line over maxEventBytes', () => {
  const cut = (message: string, max: number) => {
    const json = logEventJson(message, 'info', T, max)
    return { json, bytes: utf8Length(json), message: JSON.parse(json).message as string }
  }

  it('is left whole at exactly the limit, and cut one byte under it, the marker telling its size', () => {
    const message = 'x'.repeat(200)
    const whole = logEventJson(message, 'info', T, MB)
    expect(logEventJson(message, 'info', T, utf8Length(whole))).toBe(whole)
    const under = cut(message, utf8Length(whole) - 1)
    expect(under.message).toMatch(/^x+ … \[truncated: 200 bytes in all\]$/)
    expect(under.message.endsWith(truncationMarker(200))).toBe(true)
  })

  it.each([
    ['ASCII', 'a'.repeat(5000)],
    ['3-byte characters', '€'.repeat(5000)],
    ['surrogate pairs', '😀'.repeat(5000)],
    ['escapes', '"\n\\\u0001'.repeat(2000)],
    ['a mix', 'a€😀"\n'.repeat(2000)],
  ])('of %s keeps the longest start that fits, never splitting a character', (_name, message) => {
    for (const max of [300, 1000, 4096]) {
      const { bytes, message: kept } = cut(message, max)
      expect(bytes).toBeLessThanOrEqual(max)
      const marker = truncationMarker(utf8Length(message))
      expect(kept.endsWith(marker)).toBe(true)
      const start = kept.slice(0, -marker.length)
      expect(message.startsWith(start)).toBe(true)
      // No lone surrogate: a pair is kept whole or left out.
      expect(start).not.toMatch(/[\ud800-\udbff]$/)
      // The longest: one more character would not fit.
      const next = message.slice(0, start.length + (message.codePointAt(start.length)! > 0xffff ? 2 : 1))
      expect(utf8Length(`{"message":${JSON.stringify(next + marker)},"level":"info","time":${T}}`)).toBeGreaterThan(max)
    }
  })

  it('costs a few measures, not one per character, for a line of many megabytes', () => {
    const started = performance.now()
    const { bytes } = cut('y'.repeat(20 * MB), 64 * 1024)
    expect(bytes).toBeLessThanOrEqual(64 * 1024)
    expect(performance.now() - started).toBeLessThan(2_000)
  })

  it('is the marker alone under a limit too small for it: the one case past the limit', () => {
    const { message, bytes } = cut('z'.repeat(500), 40)
    expect(message).toBe(truncationMarker(500))
    expect(bytes).toBeGreaterThan(40)
  })
})

import fc from 'fast-check'
import { describe, it, expect } from 'vitest'
import { EventSourceParserStream } from 'eventsource-parser/stream'
import type { EventSourceMessage } from 'eventsource-parser/stream'
import type { LogEvent, LogEventType } from '../store/job-state.ts'
import { OPENING_COMMENT, PING_COMMENT, encodeEvent, sseHeaders } from './sse.ts'

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

interface Parsed {
  events: EventSourceMessage[]
  comments: string[]
  retries: number[]
  errors: Error[]
}

/** A ReadableStream that hands out `chunks` one per pull. */
function streamOf<T>(chunks: readonly T[]): ReadableStream<T> {
  let index = 0
  return new ReadableStream<T>({
    pull(controller) {
      const chunk = chunks[index++]
      if (chunk === undefined) controller.close()
      else controller.enqueue(chunk)
    },
  })
}

function parserWith(parsed: Parsed): EventSourceParserStream {
  return new EventSourceParserStream({
    onComment: (comment) => parsed.comments.push(comment),
    onRetry: (retry) => parsed.retries.push(retry),
    onError: (error) => parsed.errors.push(error),
  })
}

async function collect(stream: ReadableStream<EventSourceMessage>, parsed: Parsed): Promise<Parsed> {
  const reader = stream.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return parsed
    parsed.events.push(value)
  }
}

/** Bytes → TextDecoderStream → EventSourceParserStream, as a browser or fetch client reads SSE. */
async function parseBytes(chunks: readonly Uint8Array<ArrayBuffer>[]): Promise<Parsed> {
  const parsed: Parsed = { events: [], comments: [], retries: [], errors: [] }
  const stream = streamOf<BufferSource>(chunks).pipeThrough(new TextDecoderStream()).pipeThrough(parserWith(parsed))
  return collect(stream, parsed)
}

/** String chunks straight into the parser (no decoder), split at arbitrary UTF-16 indices. */
async function parseStrings(chunks: readonly string[]): Promise<Parsed> {
  const parsed: Parsed = { events: [], comments: [], retries: [], errors: [] }
  const stream = streamOf(chunks).pipeThrough(parserWith(parsed))
  return collect(stream, parsed)
}

/** A deterministic pseudo-random generator (an LCG), so that failures reproduce. */
function lcg(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

/** Cut points for a sequence of `length` units: every `size`, or random sizes in [1, max]. */
function cutPoints(length: number, split: Split): number[] {
  const random = split.kind === 'random' ? lcg(split.seed) : undefined
  const step = () => (split.kind === 'fixed' ? split.size : 1 + Math.floor((random?.() ?? 0) * split.max))
  const cuts: number[] = []
  for (let at = 0; at < length; ) {
    at = Math.min(length, at + step())
    cuts.push(at)
  }
  return cuts
}

type Split = { kind: 'fixed'; size: number } | { kind: 'random'; seed: number; max: number }

function splitBytes(bytes: Uint8Array<ArrayBuffer>, split: Split): Uint8Array<ArrayBuffer>[] {
  let from = 0
  return cutPoints(bytes.length, split).map((to) => {
    const chunk = bytes.slice(from, to)
    from = to
    return chunk
  })
}

function splitString(text: string, split: Split): string[] {
  let from = 0
  return cutPoints(text.length, split).map((to) => {
    const chunk = text.slice(from, to)
    from = to
    return chunk
  })
}

function describeSplit(split: Split): string {
  return split.kind === 'fixed' ? `chunks of ${split.size}` : `random chunks of 1..${split.max} (seed ${split.seed})`
}

function nestedArray(depth: number): unknown {
  let value: unknown = ['bottom\n\ndata: x']
  for (let i = 0; i < depth; i++) value = [value]
  return value
}

function nestedObject(depth: number): unknown {
  let value: unknown = { 'event: done\n': 'id: 1\r\n' }
  for (let i = 0; i < depth; i++) value = { [`k${i}\r`]: value }
  return value
}

// Every control character (U+0000..U+001F and DEL): JSON.stringify escapes the C0 ones.
const controlCharacters = Array.from({ length: 32 }, (_, code) => String.fromCharCode(code)).join('') + '\u007f'

/** Values whose JSON text is tricky for SSE framing. Every one survives a JSON round trip exactly. */
const trickyValues: Array<[name: string, value: unknown]> = [
  ['a string with a bare CR', 'before\rafter'],
  ['a string with a bare LF', 'before\nafter'],
  ['a string with CRLF', 'before\r\nafter'],
  ['a string with a blank line (an SSE event terminator)', 'one\n\ntwo\r\n\r\nthree\r\rfour'],
  ['a string that is only line breaks', '\n\r\n\r\n\n\r'],
  ['a string with U+2028 LINE SEPARATOR', 'a\u2028b\u2028'],
  ['a string with U+2029 PARAGRAPH SEPARATOR', '\u2029a\u2029b'],
  ['a string with U+0085 NEXT LINE', 'a\u0085b'],
  ['a string with a byte order mark', '\ufeffbom'],
  ['a string with NUL', 'a\u0000b\u0000'],
  ['a string with every control character', controlCharacters],
  ['astral characters and emoji sequences', '😀 👩‍👩‍👧‍👦 🇫🇷 𝄞 \u{10ffff}'],
  ['a lone high surrogate', 'x\ud800y'],
  ['a lone low surrogate', 'x\udc00y'],
  ['surrogates in the wrong order', '\udc00\ud800'],
  ['a string ending in a lone high surrogate', 'end\ud83d'],
  ['an injected event block after LF LF', '\n\nid: 999\nevent: done\nretry: 1\ndata: {"injected":true}\n\n'],
  ['an injected event block after CR CR', '\r\rid: 998\revent: done\rretry: 2\rdata: 1\r\r'],
  ['an injected event block after CRLF CRLF', '\r\n\r\nid: 997\r\nevent: done\r\nretry: 3\r\ndata: 2\r\n\r\n'],
  ['an injected comment', '\n: not a comment\n\n'],
  ['field names without line breaks', 'data: event: done id: 5 retry: 10 :comment'],
  ['field names as object keys', { 'data:': 1, 'event:': 'done', 'id:': 5, 'retry:': 10, '\nid: 4\n': '\rretry: 7\r' }],
  ['a deeply nested array', nestedArray(400)],
  ['a deeply nested object', nestedObject(400)],
  ['numbers', [0, 1, -1, 1.5, -2.25, 1e300, -1e-300, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]],
  ['booleans and null', [true, false, null, { a: null }]],
  ['empty containers and an empty string', ['', [], {}, [[]], { '': '' }]],
  ['a bare string', 'just text'],
  ['a bare number', 42],
  ['null', null],
  ['false', false],
  ['a string of quotes and backslashes', '"\\"\\\\\'\u0022'],
  ['a long string with every kind of trouble', ('line\r\nsep\u2028par\u2029nul\u0000😀\ud800' + 'x'.repeat(50)).repeat(200)],
]

const eventTypes: readonly LogEventType[] = ['output', 'progress']

/** One log event per tricky value, then a `done` carrying a status object full of trouble too. */
function trickyLog(): { events: LogEvent[]; values: unknown[] } {
  const values: unknown[] = trickyValues.map(([, value]) => value)
  values.push({ id: 'job\n\nid: 1', status: 'FAILED', error: 'boom\r\nevent: output\r\n\r\n', errorDetail: { type: 'Error', message: '\u2028' } })
  const events = values.map((value, index): LogEvent => ({
    seq: index + 1,
    type: index === values.length - 1 ? 'done' : (eventTypes[index % eventTypes.length] as LogEventType),
    json: JSON.stringify(value),
  }))
  return { events, values }
}

/** The text a server sends: the opening comment, the frames, and a ping every few frames. */
function wireText(events: readonly LogEvent[]): string {
  let text = OPENING_COMMENT
  events.forEach((event, index) => {
    text += encodeEvent(event)
    if (index % 5 === 4) text += PING_COMMENT
  })
  return text
}

function expectRoundTrip(parsed: Parsed, events: readonly LogEvent[], values: readonly unknown[]): void {
  expect(parsed.errors).toEqual([])
  expect(parsed.retries).toEqual([])
  expect(parsed.events).toHaveLength(events.length)
  parsed.events.forEach((received, index) => {
    const sent = events[index] as LogEvent
    // Exactly these fields, so nothing from user data became an event field.
    expect(Object.keys(received).sort()).toEqual(['data', 'event', 'id'])
    expect(received.id).toBe(String(sent.seq))
    expect(received.event).toBe(sent.type)
    expect(received.data).toBe(sent.json)
    expect(JSON.parse(received.data)).toEqual(values[index])
  })
  const pings = Math.floor(events.length / 5)
  expect(parsed.comments).toEqual(['edgepod', ...Array<string>(pings).fill('ping')])
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

describe('sseHeaders', () => {
  it('are exactly the headers docs/protocol.md lists for every SSE answer', () => {
    expect(sseHeaders).toEqual({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      'X-Accel-Buffering': 'no',
    })
  })

  it('build a valid Headers object whose content type is text/event-stream', () => {
    const headers = new Headers(sseHeaders)
    expect(headers.get('content-type')?.split(';')[0]).toBe('text/event-stream')
    expect([...headers.keys()]).toHaveLength(3)
  })
})

describe('comment constants', () => {
  it('open the stream with the comment line ": edgepod" and a blank line', () => {
    expect(OPENING_COMMENT).toBe(': edgepod\n\n')
  })

  it('ping with the comment line ": ping" and a blank line', () => {
    expect(PING_COMMENT).toBe(': ping\n\n')
  })

  it('are parsed as comments and never as events', async () => {
    const parsed = await parseStrings([OPENING_COMMENT, PING_COMMENT, PING_COMMENT])
    expect(parsed.events).toEqual([])
    expect(parsed.comments).toEqual(['edgepod', 'ping', 'ping'])
  })
})

describe('encodeEvent', () => {
  it.each<[LogEvent, string]>([
    [{ seq: 1, type: 'output', json: '{"a":1}' }, 'id: 1\nevent: output\ndata: {"a":1}\n\n'],
    [{ seq: 2, type: 'progress', json: '0.5' }, 'id: 2\nevent: progress\ndata: 0.5\n\n'],
    [{ seq: 3, type: 'done', json: '{"id":"j","status":"COMPLETED"}' }, 'id: 3\nevent: done\ndata: {"id":"j","status":"COMPLETED"}\n\n'],
    [{ seq: 123456789, type: 'output', json: '"x"' }, 'id: 123456789\nevent: output\ndata: "x"\n\n'],
    [{ seq: 4, type: 'output', json: 'null' }, 'id: 4\nevent: output\ndata: null\n\n'],
    [{ seq: 5, type: 'output', json: '""' }, 'id: 5\nevent: output\ndata: ""\n\n'],
  ])('frames %o as id, event and one data line', (event, expected) => {
    expect(encodeEvent(event)).toBe(expected)
  })

  it('produces the exact UTF-8 bytes for non-ASCII JSON, with no escaping of its own', () => {
    const json = JSON.stringify('é😀\u2028')
    const bytes = new TextEncoder().encode(encodeEvent({ seq: 7, type: 'output', json }))
    const expected = [
      ...new TextEncoder().encode('id: 7\nevent: output\ndata: "'),
      0xc3, 0xa9, // é
      0xf0, 0x9f, 0x98, 0x80, // 😀
      0xe2, 0x80, 0xa8, // U+2028, left raw by JSON.stringify
      ...new TextEncoder().encode('"\n\n'),
    ]
    expect([...bytes]).toEqual(expected)
  })

  it.each(trickyValues)('frames %s as exactly three LF-terminated lines and a blank line, with no CR', (_name, value) => {
    const frame = encodeEvent({ seq: 1, type: 'output', json: JSON.stringify(value) })
    expect(frame).not.toContain('\r')
    expect(frame.endsWith('\n\n')).toBe(true)
    const lines = frame.slice(0, -2).split('\n')
    expect(lines).toHaveLength(3)
    expect(lines[0]).toBe('id: 1')
    expect(lines[1]).toBe('event: output')
    expect(lines[2]?.startsWith('data: ')).toBe(true)
  })
})

describe('encodeEvent round trip through eventsource-parser', () => {
  const { events, values } = trickyLog()
  const text = wireText(events)
  const bytes = new TextEncoder().encode(text)

  const splits: Split[] = [
    { kind: 'fixed', size: bytes.length },
    { kind: 'fixed', size: 1 },
    { kind: 'fixed', size: 2 },
    { kind: 'fixed', size: 3 },
    { kind: 'fixed', size: 5 },
    { kind: 'fixed', size: 7 },
    { kind: 'fixed', size: 61 },
    { kind: 'fixed', size: 4096 },
    { kind: 'random', seed: 1, max: 8 },
    { kind: 'random', seed: 2, max: 97 },
    { kind: 'random', seed: 3, max: 1500 },
  ]

  it('the tricky payload does split multi-byte characters at one-byte chunks', () => {
    // Guards the test itself: the wire text must contain characters of 2, 3 and 4 UTF-8 bytes.
    expect(bytes.length).toBeGreaterThan(text.length)
    expect(text).toMatch(/[\u0080-\u07ff]/)
    expect(text).toMatch(/[\u2028\u2029]/)
    expect(text).toMatch(/[\ud800-\udbff][\udc00-\udfff]/)
  })

  it.each(splits.map((split) => [describeSplit(split), split] as const))(
    'gives back every event unchanged from bytes in %s through TextDecoderStream',
    async (_name, split) => {
      const parsed = await parseBytes(splitBytes(bytes, split))
      expectRoundTrip(parsed, events, values)
    }
  )

  it.each(splits.map((split) => [describeSplit(split), split] as const))(
    'gives back every event unchanged from string chunks in %s (surrogate pairs split too)',
    async (_name, split) => {
      const parsed = await parseStrings(splitString(text, split))
      expectRoundTrip(parsed, events, values)
    }
  )

  it('gives back each tricky value as its own single event', async () => {
    for (const [name, value] of trickyValues) {
      const event: LogEvent = { seq: 1, type: 'output', json: JSON.stringify(value) }
      const parsed = await parseBytes(splitBytes(new TextEncoder().encode(encodeEvent(event)), { kind: 'fixed', size: 3 }))
      expect(parsed.events, name).toHaveLength(1)
      expect(parsed.retries, name).toEqual([])
      expect(parsed.comments, name).toEqual([])
      expect(parsed.events[0]?.id, name).toBe('1')
      expect(parsed.events[0]?.event, name).toBe('output')
      expect(JSON.parse(parsed.events[0]?.data ?? 'undefined'), name).toEqual(value)
    }
  })

  it('gives back any JSON value, of any characters and nesting, as its one event, however the bytes are cut', async () => {
    // 'binary' strings take any code point, lone surrogates included; keys too.
    const value = fc.jsonValue({ maxDepth: 12, stringUnit: 'binary' })
    const injection = fc.constantFrom('\n', '\r', '\r\n', '\n\n', '\u2028', '\u0000', 'data: x', 'id: 99', 'retry: 1', 'event: done', ':ping', '😀')
    const withInjections = fc.tuple(value, fc.array(injection, { maxLength: 6 })).map(([v, extra]) => [v, extra.join('')])
    await fc.assert(
      fc.asyncProperty(withInjections, fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 2 ** 31 }), async (sent, max, seed) => {
        const event: LogEvent = { seq: 7, type: 'output', json: JSON.stringify(sent) }
        const parsed = await parseBytes(splitBytes(new TextEncoder().encode(encodeEvent(event)), { kind: 'random', seed, max }))
        expect(parsed.errors).toEqual([])
        expect(parsed.retries).toEqual([])
        expect(parsed.comments).toEqual([])
        expect(parsed.events).toHaveLength(1)
        expect(parsed.events[0]).toMatchObject({ id: '7', event: 'output' })
        // The JSON text itself comes back, character for character (so -0, which JSON writes as 0, is no exception).
        expect(parsed.events[0]!.data).toBe(event.json)
      }),
      { numRuns: 300 }
    )
  })

  it('gives back a multi-megabyte value split at random boundaries', async () => {
    const unit = 'a\r\nb\u2028c\u2029d\u0000é😀\ud800"\\' + 'data: x\n\nid: 9\nretry: 1\n'
    const value = { text: unit.repeat(40_000), list: Array.from({ length: 2000 }, (_, i) => `${i}\n`) }
    const big: LogEvent[] = [
      { seq: 1, type: 'output', json: JSON.stringify(value) },
      { seq: 2, type: 'done', json: JSON.stringify({ id: 'j', status: 'COMPLETED' }) },
    ]
    const wire = new TextEncoder().encode(OPENING_COMMENT + big.map(encodeEvent).join(''))
    expect(wire.length).toBeGreaterThan(2_000_000)
    const parsed = await parseBytes(splitBytes(wire, { kind: 'random', seed: 42, max: 9000 }))
    expect(parsed.errors).toEqual([])
    expect(parsed.retries).toEqual([])
    expect(parsed.events.map((event) => [event.id, event.event])).toEqual([
      ['1', 'output'],
      ['2', 'done'],
    ])
    expect(parsed.events[0]?.data).toBe(big[0]?.json)
    expect(JSON.parse(parsed.events[0]?.data ?? 'null')).toEqual(value)
  })
})

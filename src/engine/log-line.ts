/**
 * A `job.log` line as the JSON of its `log` event: `{"message":…,"level":…,"time":…}`, keys in
 * that order (docs/protocol.md, "Server-Sent Events"). The message and level are checked, and a
 * line too long for `maxEventBytes` is cut with a marker rather than refused: a log line is the
 * handler's diagnostics, and a job must never fail, nor lose an output, over the size of one.
 * @module
 */
import type { LogLevel } from '../types.ts'
import { utf8Length } from '../utf8-length.ts'
import { bytesOverEventLimit } from './output-budget.ts'

/** The levels `job.log` takes, least important first; `info` when none is given. */
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error']

/** What ends a cut message: it says the line was cut, and how long it was (UTF-8 bytes of the message; `'N'` to document it). */
export function truncationMarker(messageBytes: number | 'N'): string {
  return ` … [truncated: ${messageBytes} bytes in all]`
}

/**
 * The `log` event's JSON of `job.log(message, level)` at `time` (ms since the epoch). Throws a
 * `TypeError` for a message that is not a string or a level not in {@link LOG_LEVELS}. When the
 * event would pass `maxEventBytes`, the message keeps its longest start that fits with the marker
 * after it; under a limit too small for even that (about 100 bytes), the marker alone is sent.
 */
export function logEventJson(message: unknown, level: unknown, time: number, maxEventBytes: number): string {
  if (typeof message !== 'string') throw new TypeError(`job.log: the message must be a string, got ${describeValue(message)}`)
  const checked = level === undefined ? 'info' : level
  if (!LOG_LEVELS.includes(checked as LogLevel)) {
    throw new TypeError(`job.log: the level must be one of ${LOG_LEVELS.join(', ')}, got ${describeValue(level)}`)
  }
  const json = jsonOf(message, checked as LogLevel, time)
  if (bytesOverEventLimit(json, maxEventBytes) === undefined) return json
  return cutToFit(message, checked as LogLevel, time, maxEventBytes)
}

function jsonOf(message: string, level: LogLevel, time: number): string {
  return `{"message":${JSON.stringify(message)},"level":"${level}","time":${time}}`
}

/**
 * The event with the longest start of `message` that fits, found by bisection: the JSON of a
 * start grows with it, so the sizes are ordered, and escapes (`\n`, `\"`, `\u0000`) are measured as
 * they are sent. Each UTF-16 unit takes at least one byte of JSON, so no start longer than the
 * limit can fit: a 50 MB line costs a few measures of at most `maxEventBytes` each.
 */
function cutToFit(message: string, level: LogLevel, time: number, maxEventBytes: number): string {
  const marker = truncationMarker(utf8Length(message))
  const candidate = (units: number) => jsonOf(startOf(message, units) + marker, level, time)
  let low = 0
  let high = Math.min(message.length, maxEventBytes)
  if (utf8Length(candidate(0)) > maxEventBytes) return candidate(0)
  // Invariant: a start of `low` units fits, and none longer than `high` does.
  while (low < high) {
    const middle = Math.ceil((low + high) / 2)
    if (utf8Length(candidate(middle)) <= maxEventBytes) low = middle
    else high = middle - 1
  }
  return candidate(low)
}

/** The first `units` UTF-16 units of `text`, one fewer when that would split a surrogate pair. */
function startOf(text: string, units: number): string {
  const last = text.charCodeAt(units - 1)
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? units - 1 : units)
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40))
  return value === null ? 'null' : typeof value
}

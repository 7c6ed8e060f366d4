/**
 * Server-Sent Events framing for a job's log. Every value is JSON, and JSON text never holds a raw
 * CR or LF, so each event is exactly one `data:` line and no user data can start a field of its own.
 * @module
 */
import type { LogEvent, LogEventType } from '../store/job-state.ts'

/** The headers of every SSE answer: no caching, no transformation, no proxy buffering. */
export const sseHeaders = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
} as const

/** The comment a stream opens with, so that proxies flush the headers at once. */
export const OPENING_COMMENT = ': edgepod\n\n'

/** The comment sent when a stream has been quiet for the keep-alive interval. */
export const PING_COMMENT = ': ping\n\n'

/** One log event as an SSE frame: `id`, `event` and one `data` line. */
export function encodeEvent(event: LogEvent): string {
  return encodeFrame(event.seq, event.type, event.json)
}

/** {@link encodeEvent} from the parts, for readers that take them from the log one by one. */
export function encodeFrame(seq: number, type: LogEventType, json: string): string {
  return `id: ${seq}\nevent: ${type}\ndata: ${json}\n\n`
}

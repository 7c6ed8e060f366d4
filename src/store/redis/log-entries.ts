/**
 * How a job's log is kept in its Redis Stream: one entry per batch of events, not one per event,
 * so that an append is one `XADD` and a read copies a few values, whatever the batch holds. An
 * entry's id is `0-<seq of its last event>` (so `XRANGE` from `0-<after + 1>` starts at the batch
 * holding the first event a reader lacks), and its fields are `f` (the seq of its first event),
 * `t` (the types, joined by commas) and `j` (the JSON texts, joined by newlines: a JSON text made
 * by `JSON.stringify` never holds a raw newline, and neither does an SSE `data:` line).
 * @module
 */
import type { LogEventType } from '../job-state.ts'
import type { LogRead } from '../store.ts'

/** A log entry as `XRANGE` answers it: its id, and its fields and values, `f`, `t`, `j` in order. */
export type LogEntry = [id: string, fields: string[]]

/** The `t` and `j` values of a batch. */
export function encodeBatch(types: readonly string[], jsons: readonly string[]): [types: string, jsons: string] {
  return [types.join(','), jsons.join('\n')]
}

/** Calls `each` for every event of `entries`, in order, with its seq; stops when `each` answers false. */
export function forEachEvent(entries: readonly LogEntry[], each: (seq: number, type: LogEventType, json: string) => boolean | void): void {
  for (const [, fields] of entries) {
    const first = Number(fields[1])
    const types = fields[3]!.split(',') as LogEventType[]
    const jsons = fields[5]!.split('\n')
    for (let index = 0; index < types.length; index++) if (each(first + index, types[index]!, jsons[index]!) === false) return
  }
}

/**
 * The events after `after` in `entries`, up to about `maxChars` of JSON (one at least), as a
 * {@link LogRead} of a log whose last seq is `lastSeq`.
 */
export function logReadOf(after: number, lastSeq: number, ended: boolean, entries: readonly LogEntry[], maxChars: number): LogRead {
  const types: LogEventType[] = []
  const jsons: string[] = []
  let chars = 0
  forEachEvent(entries, (seq, type, json) => {
    if (seq <= after) return true
    if (jsons.length > 0 && chars >= maxChars) return false
    types.push(type)
    jsons.push(json)
    chars += json.length
    return true
  })
  return { first: after + 1, lastSeq, ended, types, jsons }
}

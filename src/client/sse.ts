/**
 * Server-Sent Events from a fetch response body, through eventsource-parser: no EventSource, so
 * any method, headers and body work, on every runtime.
 * @module
 */
import { createParser } from 'eventsource-parser'
import type { EventSourceMessage } from 'eventsource-parser'

/** One parsed event: `event`, `id` and `data`, as eventsource-parser gives it. */
export type { EventSourceMessage }

/** True when the answer is an event stream (`text/event-stream`, any parameters). */
export function isEventStream(response: Response): boolean {
  return /^\s*text\/event-stream\s*(;|$)/i.test(response.headers.get('content-type') ?? '')
}

/**
 * The events of an SSE body, in order. It ends when the body ends, and rejects when reading it
 * fails (a cut connection). An event cut off by the end of the body has no closing blank line,
 * and the parser never dispatches such an event: a dropped connection can lose the tail of an
 * event but never hand over half of one. Returning early cancels the body, closing the connection.
 */
export async function* sseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<EventSourceMessage, void, undefined> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  const ready: EventSourceMessage[] = []
  const parser = createParser({ onEvent: (event) => ready.push(event) })
  let finished = false
  try {
    for (;;) {
      const { done, value } = await reader.read()
      parser.feed(done ? decoder.decode() : decoder.decode(value, { stream: true }))
      for (let event = ready.shift(); event !== undefined; event = ready.shift()) yield event
      if (done) {
        finished = true
        return
      }
    }
  } finally {
    // Stopped early or failed: let go of the body so the connection is not kept half-read.
    if (!finished) reader.cancel().catch(() => {})
  }
}

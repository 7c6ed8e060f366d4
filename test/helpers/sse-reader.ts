import { EventSourceParserStream } from 'eventsource-parser/stream'
import type { EventSourceMessage } from 'eventsource-parser/stream'
import { expect } from 'vitest'
import type { JobStatusObject } from '../../src/index.ts'

/** Reads a live SSE response event by event, through an independent parser. */
export function sseReader(response: Response) {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader()
  return {
    /** The next `count` events (fewer if the stream ends first). */
    async take(count: number): Promise<EventSourceMessage[]> {
      const got: EventSourceMessage[] = []
      while (got.length < count) {
        const { done, value } = await reader.read()
        if (done) break
        got.push(value)
      }
      return got
    },
    /** Every event until the stream ends. */
    rest(): Promise<EventSourceMessage[]> {
      return this.take(Infinity)
    },
    /** Stops reading: the client goes away. */
    cancel: () => reader.cancel().catch(() => {}),
  }
}

/**
 * Checks what every SSE stream owes its reader, whatever the handler did: ids `firstId`, +1, +2...
 * with no gap, exactly one `done`, and it is the last event. Returns the outputs and the `done` data.
 */
export function checkedStream(events: EventSourceMessage[], firstId = 1) {
  expect(events.map((event) => event.id)).toEqual(events.map((_, index) => String(firstId + index)))
  expect(events.filter((event) => event.event === 'done')).toHaveLength(1)
  expect(events.at(-1)?.event).toBe('done')
  return {
    outputs: events.filter((event) => event.event === 'output').map((event) => JSON.parse(event.data) as unknown),
    done: JSON.parse(events.at(-1)!.data) as JobStatusObject,
  }
}

import { EventSourceParserStream } from 'eventsource-parser/stream'
import type { EventSourceMessage } from 'eventsource-parser/stream'

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

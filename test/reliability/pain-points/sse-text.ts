/**
 * A live SSE body read as raw text, for the pain-point tests whose point is the exact bytes on the
 * wire (`: ping` comments, frames, what comes after `done`) rather than the parsed events.
 */

/** A live SSE body as text, read chunk by chunk. */
export function textOf(response: Response) {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
  let text = ''
  return {
    get text() {
      return text
    },
    /** Reads until `enough` holds for the text so far. */
    async until(enough: (text: string) => boolean): Promise<string> {
      while (!enough(text)) {
        const next = await reader.read()
        if (next.done) throw new Error(`the stream ended first:\n${text}`)
        text += next.value
      }
      return text
    },
    /** Reads to the end of the body. */
    async rest(): Promise<string> {
      for (;;) {
        const next = await reader.read()
        if (next.done) return text
        text += next.value
      }
    },
    cancel: () => reader.cancel().catch(() => {}),
  }
}

/**
 * The frames that go out together as one chunk of an SSE body: as many events as are ready, up to
 * a bounded size, ending with the attempt's `done` when it is among them.
 * @module
 */
import type { LogEventType } from '../../store/job-state.ts'
import type { LogRead } from '../../store/store.ts'
import { encodeFrame } from '../sse.ts'

/** How an event becomes the text of its frame (edgepod's `id`/`event`/`data`, or OpenAI's `data:` alone); '' sends nothing. */
export type FrameEncoder = (seq: number, type: LogEventType, json: string) => string

/**
 * The most text put into one chunk, so one chunk stays a reasonable write: encoding a larger one
 * costs more per byte, as the text is a longer rope to flatten.
 */
export const MAX_CHUNK_CHARS = 64 * 1024

/** Frames gathered for one chunk, and the cursor after them. */
export class Chunk {
  text = ''
  /** True once the last frame is the attempt's `done`: the stream ends with this chunk. */
  done = false
  /** The seq of the last event framed. */
  cursor: number

  readonly #encode: FrameEncoder

  /** A chunk that goes on from `cursor`, the seq the reader has seen, its frames made by `encode`. */
  constructor(cursor: number, encode: FrameEncoder = encodeFrame) {
    this.cursor = cursor
    this.#encode = encode
  }

  /** True when no more frames belong in this chunk. */
  get full(): boolean {
    return this.done || this.text.length >= MAX_CHUNK_CHARS
  }

  /**
   * Frames the events of `read` in order until `done` or the chunk is full; events at or before
   * the cursor are skipped. True when every event of `read` was taken (or skipped).
   */
  add(read: LogRead): boolean {
    const { first, types, jsons } = read
    let index = Math.max(0, this.cursor + 1 - first)
    for (; index < jsons.length && !this.full; index++) {
      const type = types[index]!
      this.text += this.#encode(first + index, type, jsons[index]!)
      this.cursor = first + index
      if (type === 'done') this.done = true
    }
    return index >= jsons.length
  }
}

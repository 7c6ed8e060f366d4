/**
 * The frames that go out together as one chunk of an SSE body: as many events as are ready, up to
 * a bounded size, ending with the attempt's `done` when it is among them.
 * @module
 */
import type { LogEvent } from '../../store/job-state.ts'
import { encodeFrame } from '../sse.ts'

/** The most text put into one chunk, so one chunk stays a reasonable write. */
export const MAX_CHUNK_CHARS = 64 * 1024

/** Frames gathered for one chunk, and the cursor after them. */
export class Chunk {
  text = ''
  /** True once the last frame is the attempt's `done`: the stream ends with this chunk. */
  done = false
  /** The seq of the last event framed. */
  cursor: number

  /** A chunk that goes on from `cursor`, the seq the reader has seen. */
  constructor(cursor: number) {
    this.cursor = cursor
  }

  /** True when no more frames belong in this chunk. */
  get full(): boolean {
    return this.done || this.text.length >= MAX_CHUNK_CHARS
  }

  /** Room left, in characters of JSON, for the next read. */
  get room(): number {
    return Math.max(1, MAX_CHUNK_CHARS - this.text.length)
  }

  /**
   * Frames `events` in order until `done` or the chunk is full; events at or before the cursor are
   * skipped, and those left over are read again for the next chunk.
   */
  add(events: readonly LogEvent[]): void {
    for (const { seq, type, json } of events) {
      if (this.full) return
      if (seq <= this.cursor) continue
      this.text += encodeFrame(seq, type, json)
      this.cursor = seq
      if (type === 'done') this.done = true
    }
  }
}

/**
 * The SSE body of a job: a pull-based `ReadableStream` over the job's log, from a cursor on. It
 * replays what the reader missed, then follows the live events, and ends after `done`. Each pull
 * sends one chunk: the events that are ready (gathered a little while they keep coming), a ping
 * after a quiet keep-alive interval, or the end.
 * @module
 */
import { isPromiseLike } from '../../awaitable.ts'
import { isStoreUnavailable } from '../../errors.ts'
import type { LogRead } from '../../store/store.ts'
import { OPENING_COMMENT, PING_COMMENT } from '../sse.ts'
import { Chunk, MAX_CHUNK_CHARS } from './chunk.ts'
import type { FrameEncoder } from './chunk.ts'
import { GATHER_TURNS, MAX_GATHER_TURNS, appendedSoon } from './gather.ts'
import type { JobLog } from './job-log.ts'
import { KeepAlive } from './keep-alive.ts'
import { NewsWatch } from './news-watch.ts'

/** How an SSE stream behaves. */
export interface SSEStreamOptions {
  /** The seq the reader has already seen (its `Last-Event-ID`); 0 for the whole log. */
  after: number
  /** Quiet time before a `: ping` comment, ms. */
  keepAlive: number
  /** Called when the stream opens: a reader is attached to the job. */
  onOpen?: (() => void) | undefined
  /** Called once when the stream ends, however it ends: the reader left. */
  onClose?: (() => void) | undefined
  /** How each event is framed. @default edgepod's frames: `id`, `event`, `data` */
  encode?: FrameEncoder | undefined
}

/**
 * The JSON read from the log at a time, in characters: one read fills a chunk or more, and what
 * does not fit is kept for the next, never read twice.
 */
const MAX_READ_CHARS = MAX_CHUNK_CHARS

/**
 * How long a stream waits before it reads again from a store that could not be reached, ms. The
 * reader keeps its stream through a store's outage (a Redis restart), pinged as usual.
 */
export const UNREACHABLE_RETRY_MS = 200

/** Events one gathering read must bring for the producer to count as one at full speed. */
const FAST_PRODUCER_EVENTS = 4

const encoder = new TextEncoder()
const pingBytes = encoder.encode(PING_COMMENT)

/** True when the reader has read past the attempt's end: nothing more will come. */
const pastTheEnd = (read: LogRead, cursor: number) => read.ended && cursor >= read.lastSeq

/** Opens an SSE stream of `log`, from `options.after` on. */
export function sseStreamOf(log: JobLog, options: SSEStreamOptions): ReadableStream<Uint8Array> {
  // Every pull must enqueue something or close: a pull that returns with nothing is never called
  // again (highWaterMark 0), and the stream would stall for good.
  return new ReadableStream<Uint8Array>(new SSESource(log, options), { highWaterMark: 0 })
}

/**
 * The source of one SSE body. A class, not closures: a stream lives as long as its reader, and
 * thousands of them at once should each hold one object, not a dozen functions.
 */
class SSESource implements UnderlyingDefaultSource<Uint8Array> {
  readonly #log: JobLog
  readonly #onClose: (() => void) | undefined
  readonly #encode: FrameEncoder | undefined
  readonly #keepAlive: KeepAlive
  readonly #watch: NewsWatch
  #cursor: number
  #finished = false
  /** Events read for the last chunk that did not fit in it: the next chunk's first. */
  #leftover: LogRead | undefined
  /** The last chunk's read reached the end of a log still growing: the next pull waits first. */
  #caughtUp = false

  constructor(log: JobLog, options: SSEStreamOptions) {
    this.#log = log
    this.#cursor = options.after
    this.#onClose = options.onClose
    this.#encode = options.encode
    this.#keepAlive = new KeepAlive(options.keepAlive)
    this.#watch = new NewsWatch(log)
    options.onOpen?.()
  }

  start(controller: ReadableStreamDefaultController<Uint8Array>): void {
    controller.enqueue(encoder.encode(OPENING_COMMENT))
  }

  async pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    for (;;) {
      if (this.#finished) return
      if (this.#caughtUp) {
        // The last chunk's read reached the log's end: wait for news rather than read nothing.
        this.#caughtUp = false
      } else {
        let read = this.#leftover ?? this.#log.read(this.#cursor, MAX_READ_CHARS)
        this.#leftover = undefined
        // A read answered at once is not awaited: the first event goes out a microtask sooner.
        if (isPromiseLike(read)) {
          try {
            read = await read
          } catch (error) {
            if (!isStoreUnavailable(error)) throw error
            if (this.#keepAlive.due) return this.#send(controller, pingBytes)
            await new Promise((resolve) => setTimeout(resolve, UNREACHABLE_RETRY_MS))
            continue
          }
        }
        if (this.#finished) return
        // The job is gone (its retention ran out while the reader read).
        if (!read) return this.#close(controller)
        if (read.jsons.length > 0) return this.#sendFrom(controller, read)
        // A cursor past the end (an id from a longer attempt) still ends with the job.
        if (pastTheEnd(read, this.#cursor)) return this.#close(controller)
      }
      // Quiet: ping when it is time, else wait for news (or the ping). Nothing read is held
      // through the wait: thousands of quiet streams wait at once.
      if (this.#keepAlive.due) return this.#send(controller, pingBytes)
      // Waited for here, not in a function of its own: one suspended frame a waiting stream.
      const watch = this.#watch
      watch.begin(this.#cursor)
      this.#keepAlive.onDue(watch.wake)
      await watch.next()
      watch.end()
      this.#keepAlive.onDue(undefined)
    }
  }

  cancel(): void {
    this.#finish()
  }

  /** Sends the events of `read`, and those that come within a few turns after, as one chunk. */
  async #sendFrom(controller: ReadableStreamDefaultController<Uint8Array>, first: LogRead): Promise<void> {
    const chunk = new Chunk(this.#cursor, this.#encode)
    let read = first
    let taken = chunk.add(read)
    for (let turns = GATHER_TURNS; taken && !chunk.full && (await appendedSoon(this.#watch, chunk.cursor, turns)); ) {
      let more = this.#log.read(chunk.cursor, MAX_READ_CHARS)
      // What was read goes out now; the next pull reads again from a store that failed here.
      if (isPromiseLike(more)) more = await more.then(undefined, (error: unknown) => (isStoreUnavailable(error) ? undefined : Promise.reject(error)))
      if (!more || more.jsons.length === 0) break
      read = more
      taken = chunk.add(more)
      // A producer at full speed brought many: wait longer for the next; a slow one, as long as before.
      turns = more.jsons.length >= FAST_PRODUCER_EVENTS ? Math.min(2 * turns, MAX_GATHER_TURNS) : GATHER_TURNS
    }
    if (this.#finished) return
    if (!taken) this.#leftover = read
    this.#cursor = chunk.cursor
    this.#send(controller, encoder.encode(chunk.text))
    if (chunk.done || pastTheEnd(read, this.#cursor)) return this.#close(controller)
    this.#caughtUp = taken && !read.ended && read.lastSeq <= this.#cursor
  }

  #send(controller: ReadableStreamDefaultController<Uint8Array>, bytes: Uint8Array): void {
    controller.enqueue(bytes)
    this.#keepAlive.sent()
  }

  #close(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.#finish()
    controller.close()
  }

  #finish(): void {
    if (this.#finished) return
    this.#finished = true
    this.#keepAlive.stop()
    this.#watch.close()
    this.#onClose?.()
  }
}

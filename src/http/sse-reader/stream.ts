/**
 * The SSE body of a job: a pull-based `ReadableStream` over the job's log, from a cursor on. It
 * replays what the reader missed, then follows the live events, and ends after `done`. Each pull
 * sends one chunk: the events that are ready (gathered a little while they keep coming), a ping
 * after a quiet keep-alive interval, or the end.
 * @module
 */
import type { LogRead } from '../../store/store.ts'
import { OPENING_COMMENT, PING_COMMENT } from '../sse.ts'
import { Chunk, MAX_CHUNK_CHARS } from './chunk.ts'
import { GATHER_TURNS, MAX_GATHER_TURNS, appendedSoon } from './gather.ts'
import type { JobLog } from './job-log.ts'
import { KeepAlive } from './keep-alive.ts'

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
}

/**
 * The JSON read from the log at a time, in characters: one read fills a chunk or more, and what
 * does not fit is kept for the next, never read twice.
 */
const MAX_READ_CHARS = MAX_CHUNK_CHARS

const encoder = new TextEncoder()
const pingBytes = encoder.encode(PING_COMMENT)

/** True when the reader has read past the attempt's end: nothing more will come. */
const pastTheEnd = (read: LogRead, cursor: number) => read.ended && cursor >= read.lastSeq

/** Opens an SSE stream of `log`, from `options.after` on. */
export function sseStreamOf(log: JobLog, options: SSEStreamOptions): ReadableStream<Uint8Array> {
  let cursor = options.after
  let finished = false
  let leftover: LogRead | undefined
  const keepAlive = new KeepAlive(options.keepAlive)
  // A wait ends on news, on a ping falling due, or on the end of the stream.
  let wake: (() => void) | undefined
  const stopped = () => finished
  const finish = () => {
    if (finished) return
    finished = true
    keepAlive.stop()
    wake?.()
    options.onClose?.()
  }
  const waitForNews = () =>
    new Promise<void>((resolve) => {
      let settled = false
      let stopWatching: (() => void) | undefined
      // Whatever ends the wait, the others are let go of at once.
      const done = () => {
        if (settled) return
        settled = true
        wake = undefined
        keepAlive.onDue(undefined)
        stopWatching?.()
        resolve()
      }
      wake = done
      keepAlive.onDue(done)
      stopWatching = log.watch(cursor, done)
      if (settled) stopWatching()
      if (finished) done()
    })
  const send = (controller: ReadableStreamDefaultController<Uint8Array>, bytes: Uint8Array) => {
    controller.enqueue(bytes)
    keepAlive.sent()
  }
  const close = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    finish()
    controller.close()
  }
  options.onOpen?.()

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controller.enqueue(encoder.encode(OPENING_COMMENT))
      },
      async pull(controller) {
        // Every pull must enqueue something or close: a pull that returns with nothing is never
        // called again (highWaterMark 0), and the stream would stall for good.
        for (;;) {
          if (finished) return
          const chunk = new Chunk(cursor)
          // Events read for the last chunk that did not fit in it are this one's first.
          let read: LogRead | undefined = leftover ?? (await log.read(cursor, MAX_READ_CHARS))
          leftover = undefined
          if (finished) return
          // The job is gone (its retention ran out while the reader read).
          if (!read) return close(controller)
          if (read.jsons.length === 0) {
            // A cursor past the end (an id from a longer attempt) still ends with the job.
            if (pastTheEnd(read, cursor)) return close(controller)
            // Quiet: ping when it is time, else wait for news (or the ping).
            if (keepAlive.due) return send(controller, pingBytes)
            await waitForNews()
            continue
          }
          let taken = chunk.add(read)
          for (let turns = GATHER_TURNS; taken && !chunk.full && (await appendedSoon(log, chunk.cursor, stopped, turns)); ) {
            const more: LogRead | undefined = await log.read(chunk.cursor, MAX_READ_CHARS)
            if (!more || more.jsons.length === 0) break
            read = more
            taken = chunk.add(more)
            turns = Math.min(2 * turns, MAX_GATHER_TURNS)
          }
          if (finished) return
          if (!taken) leftover = read
          cursor = chunk.cursor
          send(controller, encoder.encode(chunk.text))
          if (chunk.done || pastTheEnd(read, cursor)) close(controller)
          return
        }
      },
      cancel() {
        finish()
      },
    },
    { highWaterMark: 0 }
  )
}

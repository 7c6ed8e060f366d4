/**
 * The SSE body of a job: a pull-based `ReadableStream` over the job's log, from a cursor on. It
 * replays what the reader missed, then follows the live events, and ends after `done`.
 * @module
 */
import type { JobEngine } from '../engine/engine.ts'
import type { JobRecord } from '../engine/job-record.ts'
import { waitForSignal } from '../engine/wait.ts'
import { OPENING_COMMENT, PING_COMMENT, encodeEvent } from './sse.ts'

/** How an SSE stream behaves. */
export interface SSEStreamOptions {
  /** The seq the reader has already seen (its `Last-Event-ID`); 0 for the whole log. */
  after: number
  /** Quiet time before a `: ping` comment, ms. */
  keepAlive: number
}

/** The most text put into one chunk, so one chunk stays a reasonable write. */
const MAX_CHUNK_CHARS = 64 * 1024
/**
 * Microtask turns to wait after waking, so that a producer that is yielding values already at hand
 * gets them into the log and they leave in one chunk rather than one chunk each.
 */
const GATHER_TURNS = 8

const encoder = new TextEncoder()
const pingBytes = encoder.encode(PING_COMMENT)

/** Opens an SSE stream of `record`'s log; the reader counts as attached until the stream ends. */
export function sseStreamOf(record: JobRecord, engine: JobEngine, options: SSEStreamOptions): ReadableStream<Uint8Array> {
  const { log } = record
  let cursor = options.after
  let finished = false
  // Aborted when the stream ends, to end a wait in progress.
  const ended = new AbortController()

  engine.attachReader(record)
  const finish = () => {
    if (finished) return
    finished = true
    ended.abort()
    engine.detachReader(record)
  }

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controller.enqueue(encoder.encode(OPENING_COMMENT))
      },
      async pull(controller) {
        const pastTheEnd = () => log.done && cursor >= log.lastSeq
        // Every pull must enqueue something or close: a pull that returns with nothing is never
        // called again (highWaterMark 0), and the stream would stall for good.
        for (;;) {
          if (pastTheEnd()) {
            // A cursor past the end (an id from a longer attempt) still ends with the job.
            finish()
            controller.close()
            return
          }
          if (cursor >= log.lastSeq) {
            const before = log.lastSeq
            await waitForSignal((wake) => log.onAppend(wake), options.keepAlive, ended.signal)
            if (finished) return
            // Nothing appended: the keep-alive interval passed.
            if (log.lastSeq === before) {
              controller.enqueue(pingBytes)
              return
            }
            for (let turn = 0; turn < GATHER_TURNS; turn++) await undefined
            if (finished) return
          }
          let text = ''
          let sawDone = false
          // A retry restarts the log: a cursor from before it reads the new attempt from its start.
          for (let seq = Math.max(cursor, log.baseSeq) + 1; seq <= log.lastSeq && text.length < MAX_CHUNK_CHARS; seq++) {
            const event = log.at(seq)
            if (!event) break
            text += encodeEvent(event)
            cursor = seq
            if (event.type === 'done') {
              sawDone = true
              break
            }
          }
          // Nothing after the cursor yet (a Last-Event-ID ahead of the log): wait again.
          if (!text) continue
          controller.enqueue(encoder.encode(text))
          if (sawDone || pastTheEnd()) {
            finish()
            controller.close()
          }
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

/**
 * The SSE body of a job: a pull-based `ReadableStream` over the job's log, from a cursor on. It
 * replays what the reader missed, then follows the live events, and ends after `done`.
 * @module
 */
import type { JobEngine } from '../engine/engine.ts'
import type { EventLog } from '../engine/event-log.ts'
import type { JobRecord } from '../engine/job-record.ts'
import { cancelTimer, startTimer } from '../engine/timers.ts'
import { OPENING_COMMENT, PING_COMMENT, encodeFrame } from './sse.ts'

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
 * Microtask turns a reader waits for one more event before it sends what it has. A producer
 * yielding values already at hand appends one every few turns: its events are taken into one
 * chunk while they keep coming, up to a full chunk. A reader as fast as its producer (Bun's, or
 * any one keeping up) would otherwise write a chunk, and wait, for every event or two.
 */
const GATHER_TURNS = 8

const encoder = new TextEncoder()
const pingBytes = encoder.encode(PING_COMMENT)

/** Frames read from the log, to go out as one chunk. */
interface Chunk {
  text: string
  /** True when the last frame is the attempt's `done`: the stream ends with this chunk. */
  done: boolean
}

/** Opens an SSE stream of `record`'s log; the reader counts as attached until the stream ends. */
export function sseStreamOf(record: JobRecord, engine: JobEngine, options: SSEStreamOptions): ReadableStream<Uint8Array> {
  const { log } = record
  const { keepAlive } = options
  const state: ReaderState = { finished: false }
  let cursor = options.after
  // A wait ends on an append, on the keep-alive, or on the end of the stream.
  let wake: (() => void) | undefined
  let lastSentAt = Date.now()
  let pingDue = false
  // One keep-alive timer per stream, not one per wait: a token stream waits once per event, and
  // each wait's timer and listeners outlived a young-generation collection, to pile up as garbage.
  const checkQuiet = () => {
    const quiet = Date.now() - lastSentAt
    if (quiet >= keepAlive) {
      pingDue = true
      wake?.()
    }
    keepAliveTimer = startTimer(checkQuiet, quiet >= keepAlive ? keepAlive : keepAlive - quiet)
  }
  let keepAliveTimer = startTimer(checkQuiet, keepAlive)
  const send = (controller: ReadableStreamDefaultController<Uint8Array>, bytes: Uint8Array) => {
    controller.enqueue(bytes)
    lastSentAt = Date.now()
    pingDue = false
  }

  engine.attachReader(record)
  const finish = () => {
    if (state.finished) return
    state.finished = true
    cancelTimer(keepAliveTimer)
    wake?.()
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
          if (cursor >= log.lastSeq && !pingDue) {
            let stopWaiting!: () => void
            await new Promise<void>((resolve) => {
              wake = resolve
              stopWaiting = log.onAppend(resolve)
            })
            wake = undefined
            stopWaiting()
            if (state.finished) return
          }
          const chunk: Chunk = { text: '', done: false }
          cursor = readInto(log, cursor, chunk)
          // Nothing after the cursor: the keep-alive interval passed, a wake brought no news, or a
          // Last-Event-ID is ahead of the log. Ping if it is time, else wait again.
          if (!chunk.text) {
            if (!pingDue) continue
            send(controller, pingBytes)
            return
          }
          while (!chunk.done && chunk.text.length < MAX_CHUNK_CHARS && (await appendedSoon(log, state))) {
            cursor = readInto(log, cursor, chunk)
          }
          if (state.finished) return
          send(controller, encoder.encode(chunk.text))
          if (chunk.done || pastTheEnd()) {
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

/** What the helpers below need to know of a stream. */
interface ReaderState {
  finished: boolean
}

/**
 * Adds the frames after `cursor` to `chunk`, up to a full chunk or `done`; returns the new cursor.
 * A plain function, not a closure per stream: the hot calls then always meet the same target.
 */
function readInto(log: EventLog, cursor: number, chunk: Chunk): number {
  // A retry restarts the log: a cursor from before it reads the new attempt from its start.
  for (let seq = Math.max(cursor, log.baseSeq) + 1; seq <= log.lastSeq && chunk.text.length < MAX_CHUNK_CHARS; seq++) {
    const type = log.typeAt(seq)
    if (!type) break
    chunk.text += encodeFrame(seq, type, log.jsonAt(seq))
    cursor = seq
    if (type === 'done') {
      chunk.done = true
      break
    }
  }
  return cursor
}

/** True when `log` grows within {@link GATHER_TURNS} microtask turns; false at once when the stream ends. */
async function appendedSoon(log: EventLog, state: ReaderState): Promise<boolean> {
  const seen = log.lastSeq
  for (let turn = 0; turn < GATHER_TURNS; turn++) {
    await undefined
    if (state.finished) return false
    if (log.lastSeq !== seen) return true
  }
  return false
}

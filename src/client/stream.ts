/**
 * `client.stream`: a job's outputs as an async iterator, over SSE with resume, or over the
 * polled JSON stream; see {@link openStream}.
 * @module
 */
import { isRetryableStatus, resolveBackoff, retryAfterMs } from './backoff.ts'
import { EdgepodHttpError } from './errors.ts'
import type { Transport } from './http.ts'
import { httpErrorOf, jobPath } from './http.ts'
import { polledOutputs } from './poll.ts'
import { jobRequestBody } from './request.ts'
import { StreamSession, asStatusObject } from './session.ts'
import { isEventStream, sseEvents } from './sse.ts'
import type { EventSourceMessage } from './sse.ts'
import type { JobLog, JobRef, JobRequest, JobStream, StreamOptions } from './types.ts'

const DEFAULT_POLL_INTERVAL = 500
/** How long a best-effort cancel may take before the stream lets go of it, ms. */
const CANCEL_TIMEOUT = 5_000

/** How one SSE connection ended: the job's end was read, or it dropped (and why). */
type ConnectionEnd = { ended: true } | { ended: false; cause: unknown }

/**
 * Opens the stream of a job id or a new job request; see `EdgepodClient.stream`. The request and
 * the options are checked at once; nothing is sent before the first `next()`.
 */
export function openStream<T>(transport: Transport, job: string | JobRequest, options: StreamOptions = {}): JobStream<T> {
  const backoff = resolveBackoff(options.retry)
  const forcePoll = options.poll === true || (typeof options.poll === 'object' && options.poll !== null)
  const interval = (typeof options.poll === 'object' ? options.poll.interval : undefined) ?? DEFAULT_POLL_INTERVAL
  if (!Number.isFinite(interval) || interval < 0) throw new RangeError(`poll.interval must be a number of ms >= 0, got ${interval}`)
  if (typeof job === 'string' && job === '') throw new TypeError('client.stream: the job id is empty')
  const request = typeof job === 'string' ? undefined : jobRequestBody('stream', job)
  const cancelOnStop = options.cancelOnAbort ?? request !== undefined

  // One controller for everything the stream has open: aborting it ends the current request,
  // read or wait at once, wherever the generator is suspended.
  const stop = new AbortController()
  let stoppedBy: 'consumer' | 'signal' | undefined
  const session = new StreamSession(transport, backoff, stop.signal)
  session.jobId = request === undefined ? (job as string) : undefined
  session.lastEventId = request === undefined && options.lastEventId !== undefined ? String(options.lastEventId) : undefined

  async function* outputs(): AsyncGenerator<T, void, undefined> {
    const { signal } = options
    const onAbort = () => {
      stoppedBy ??= 'signal'
      stop.abort(signal?.reason)
    }
    if (signal?.aborted) throw signal.reason
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      let first = request === undefined ? undefined : await create(request)
      if (!forcePoll) {
        for (;;) {
          const response = first ?? (await connect(session))
          first = undefined
          if (response === undefined) continue
          if (response.status === 204) {
            // The server says this reader has seen the end; it had not seen `done`, so ask.
            if (await session.settle()) return
            await session.failed(new Error('204 before the job ended'))
            continue
          }
          if (!isEventStream(response)) {
            // A proxy that strips `Accept` or buffers: the same log, read by polling.
            await response.body?.cancel().catch(() => {})
            break
          }
          // Failures reset on new events only (StreamSession.see), not on a 200: a proxy that cuts
          // every connection right after its headers must not get an endless loop of reconnects.
          const end: ConnectionEnd = yield* readConnection<T>(session, response, options, () => (stoppedBy ??= 'consumer'))
          if (end.ended) return
          await session.failed(end.cause)
        }
      }
      yield* polledOutputs(session, interval) as AsyncGenerator<T, void, undefined>
    } catch (error) {
      // Stopped by the consumer: an end, not a failure. Stopped by the signal: its reason, as fetch does.
      if (stoppedBy === 'consumer' && stop.signal.aborted) return
      if (stoppedBy === 'signal') throw signal?.reason
      throw error
    } finally {
      signal?.removeEventListener('abort', onAbort)
      stop.abort()
      if (stoppedBy !== undefined && cancelOnStop && !session.ended && session.jobId !== undefined) {
        await cancelQuietly(transport, session.jobId)
      }
    }
  }

  /** Creates the job: `POST /stream` answers its SSE at once; when polling, `POST /run`. */
  async function create(payload: Record<string, unknown>): Promise<Response | undefined> {
    if (forcePoll) {
      const ref = await transport.json<JobRef>({ method: 'POST', path: '/run', body: payload, signal: stop.signal })
      session.jobId = ref.id
      return undefined
    }
    // Not retried: a POST that failed on the way may still have created a job, and a second one
    // would run it twice. Once `X-Job-Id` is known, everything after is a resumable GET.
    const response = await transport.send({
      method: 'POST',
      path: '/stream',
      body: payload,
      headers: { Accept: 'text/event-stream' },
      signal: stop.signal,
    })
    if (!response.ok) throw await httpErrorOf(response)
    const id = response.headers.get('x-job-id')
    if (!id) {
      await response.body?.cancel().catch(() => {})
      throw new EdgepodHttpError(response.status, 'invalid_response', 'POST /stream answered without an X-Job-Id header')
    }
    session.jobId = id
    return response
  }

  const generator = outputs()
  const stream: JobStream<T> = {
    [Symbol.asyncIterator]: () => stream,
    next: () => generator.next(),
    async return() {
      // Abort first: a `next()` waiting on the network ends now instead of at the next event.
      if (!session.ended) stoppedBy ??= 'consumer'
      stop.abort()
      await generator.return()
      return { done: true, value: undefined }
    },
    get jobId() {
      return session.jobId
    },
    get lastEventId() {
      return session.lastEventId
    },
  }
  return stream
}

/** `GET /stream/:id` as SSE from the last event seen; undefined after a failure worth retrying (already waited). */
async function connect(session: StreamSession): Promise<Response | undefined> {
  const headers: Record<string, string> = { Accept: 'text/event-stream' }
  if (session.lastEventId !== undefined) headers['Last-Event-ID'] = session.lastEventId
  let response: Response
  try {
    response = await session.transport.send({ method: 'GET', path: jobPath('/stream', session.id), headers, signal: session.signal })
  } catch (error) {
    if (session.signal.aborted) throw error
    await session.failed(error)
    return undefined
  }
  if (response.ok) return response
  const error = await httpErrorOf(response)
  if (!isRetryableStatus(response.status)) throw error
  await session.failed(error, retryAfterMs(response))
  return undefined
}

/**
 * Reads one SSE connection: yields its new outputs, hands progress to `onProgress` and log lines
 * to `onLog`, and returns when `done` arrives (COMPLETED) or the connection drops; a `done` of any
 * other status throws.
 */
async function* readConnection<T>(
  session: StreamSession,
  response: Response,
  callbacks: Pick<StreamOptions, 'onProgress' | 'onLog'>,
  markConsumerStop: () => void
): AsyncGenerator<T, ConnectionEnd, undefined> {
  if (response.body === null) return { ended: false, cause: new Error('the event stream had no body') }
  const events = sseEvents(response.body)
  try {
    for (;;) {
      let next: IteratorResult<EventSourceMessage, void>
      try {
        next = await events.next()
      } catch (error) {
        if (session.signal.aborted) throw error
        return { ended: false, cause: error }
      }
      if (next.done) return { ended: false, cause: new Error('the connection closed before the done event') }
      const event = next.value
      if (!session.see(event.id)) continue
      if (event.event === 'output') {
        yield dataOf(event.data) as T
      } else if (event.event === 'progress' || event.event === 'log') {
        try {
          if (event.event === 'progress') callbacks.onProgress?.(dataOf(event.data))
          else callbacks.onLog?.(dataOf(event.data) as JobLog)
        } catch (error) {
          // The caller's callback failed: the caller stopped reading, as if it broke out of the loop.
          markConsumerStop()
          throw error
        }
      } else if (event.event === 'done') {
        session.finish(asStatusObject(dataOf(event.data), session.id))
        return { ended: true }
      }
      // Any other event is from a newer server: skipped, as EventSource would.
    }
  } finally {
    await events.return()
  }
}

/** An event's data: always one JSON value on edgepod's streams. */
function dataOf(data: string): unknown {
  try {
    return JSON.parse(data)
  } catch {
    throw new EdgepodHttpError(200, 'invalid_response', `an event's data is not JSON: ${JSON.stringify(data.slice(0, 120))}`)
  }
}

/**
 * Best effort: the reader is gone either way, and a `POST /stream` job with no reader is also
 * cancelled by the server after its disconnect grace, so a failed cancel costs time, not a leak.
 */
async function cancelQuietly(transport: Transport, id: string): Promise<void> {
  try {
    const response = await transport.send({ method: 'POST', path: jobPath('/cancel', id), signal: AbortSignal.timeout(CANCEL_TIMEOUT) })
    await response.body?.cancel()
  } catch {
    // See above: nothing the caller could do with this error.
  }
}

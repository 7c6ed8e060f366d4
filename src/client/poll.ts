/**
 * Reading RunPod's polled JSON stream, `GET /stream/:id?after=<cursor>`: the fallback when SSE
 * does not get through (a buffering proxy), or the choice with `poll: true`.
 * @module
 */
import { isRetryableStatus, retryAfterMs, sleep } from './backoff.ts'
import { EdgepodHttpError } from './errors.ts'
import { httpErrorOf, jobPath, jsonBodyOf } from './http.ts'
import type { StreamSession } from './session.ts'
import { asStatusObject, isTerminalStatus } from './session.ts'
import type { JobStatus } from './types.ts'

/** One polled answer: `{id, status, stream: [{output}], cursor?, error?}`. */
interface PolledPage {
  status: JobStatus
  stream: { output?: unknown }[]
  cursor: number | undefined
  error: string | undefined
}

/**
 * The outputs of the session's job, each once, until the job ends: returns on `COMPLETED`,
 * throws {@link EdgepodJobError} otherwise.
 *
 * `?after=` reads without draining, so another reader of the job (or a second tab) takes nothing
 * from this one, and the answer's `cursor` is where the next read starts. A server without
 * cursors (RunPod's hosted API) drains instead: each answer holds only new outputs, and the end
 * is a terminal status with an empty `stream`, the rule RunPod's own clients follow.
 *
 * Polls are paced: an answer with nothing new is followed by `interval` ms of quiet (on top of the
 * server's own hold), an answer with outputs by the next poll at once, so a busy job is read at
 * the speed it writes and an idle one costs about one request per `interval` + hold.
 */
export async function* polledOutputs(session: StreamSession, interval: number): AsyncGenerator<unknown, void, undefined> {
  for (;;) {
    const page = await nextPage(session)
    if (page === undefined) continue
    // The cursor is recorded before the outputs go out: an early stop then never re-reads them
    // here, and `lastEventId` is where a later reader should start.
    if (page.cursor !== undefined) session.lastEventId = String(page.cursor)
    for (const item of page.stream) yield item.output
    if (isTerminalStatus(page.status) && (page.cursor !== undefined || page.stream.length === 0)) {
      if (page.status === 'COMPLETED') return session.finish(asStatusObject({ id: session.id, status: page.status }, session.id))
      // The polled answer has only the error string: `/status` has `errorDetail` and the rest.
      const job = await session.fetchStatus().catch(() => undefined)
      return session.finish(job?.status === page.status ? job : asStatusObject({ id: session.id, status: page.status, error: page.error }, session.id))
    }
    if (page.stream.length === 0) await sleep(interval, session.signal)
  }
}

/** One poll; undefined after a failure worth retrying (the backoff already waited). */
async function nextPage(session: StreamSession): Promise<PolledPage | undefined> {
  const after = Number(session.lastEventId ?? 0)
  let response: Response
  try {
    response = await session.transport.send({
      method: 'GET',
      path: jobPath('/stream', session.id),
      query: { after: Number.isSafeInteger(after) && after >= 0 ? after : 0 },
      signal: session.signal,
    })
  } catch (error) {
    if (session.signal.aborted) throw error
    await session.failed(error)
    return undefined
  }
  if (!response.ok) {
    const error = await httpErrorOf(response)
    if (!isRetryableStatus(response.status)) throw error
    await session.failed(error, retryAfterMs(response))
    return undefined
  }
  const page = pageOf(await jsonBodyOf(response))
  session.succeeded()
  return page
}

function pageOf(body: unknown): PolledPage {
  const { status, stream, cursor, error } = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  const valid = asStatusObject({ status }, '')
  // RunPod's API has been seen to leave `stream` out of an answer: that is an empty one.
  if (stream !== undefined && !Array.isArray(stream)) {
    throw new EdgepodHttpError(200, 'invalid_response', `expected the polled stream's "stream" to be an array`)
  }
  return {
    status: valid.status,
    stream: ((stream ?? []) as unknown[]).map((item) => (typeof item === 'object' && item !== null ? item : { output: item })),
    cursor: typeof cursor === 'number' ? cursor : undefined,
    error: typeof error === 'string' ? error : undefined,
  }
}

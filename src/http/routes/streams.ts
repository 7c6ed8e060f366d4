/**
 * The routes of a job's outputs: `POST /stream` (submit and stream at once) and `/stream/:id`, as
 * Server-Sent Events or RunPod's polled JSON. docs/protocol.md, "Server-Sent Events" and "Polled
 * JSON stream".
 * @module
 */
import type { JobEngine } from '../../engine/engine.ts'
import { MAX_POLL_WAIT } from '../../limits.ts'
import type { JobState } from '../../store/job-state.ts'
import { hasEnded } from '../../store/job-state.ts'
import { ref, sseAnswerHeaders, sseMedia } from '../openapi-schemas.ts'
import { acceptsEventStream, parseCount, parseWait } from '../params.ts'
import { polledStreamJson, waitForNews } from '../polled-stream.ts'
import type { AppOptions, Route } from '../route.ts'
import { executionCtxOf, idOf, jobRequestOf, jsonText } from '../route.ts'
import { jobLogOf } from '../sse-reader/job-log.ts'
import { sseStreamOf } from '../sse-reader/stream.ts'
import { sseHeaders } from '../sse.ts'
import { SUBMIT_ERRORS } from './jobs.ts'

/** The SSE answer of `job`'s log from `after` on; the stream counts as one of the job's readers. */
function sseResponse(engine: JobEngine, job: JobState, after: number, options: AppOptions, method: string): Response {
  const headers = { ...sseHeaders, 'X-Job-Id': job.id }
  // Hono answers HEAD by dropping the GET body unread: open no stream, or its reader never leaves.
  if (method === 'HEAD') return new Response(null, { headers })
  const body = sseStreamOf(jobLogOf(engine.store.jobs, job.id), {
    after,
    keepAlive: options.keepAlive,
    onOpen: () => engine.attachReader(job),
    onClose: () => engine.detachReader(job),
  })
  return new Response(body, { headers })
}

/** `POST /stream` and `/stream/:id`. */
export const streamRoutes: readonly Route[] = [
  {
    path: '/stream',
    methods: ['POST'],
    submits: true,
    handler: ({ engine, options }) => async (c) => {
      const request = await jobRequestOf(c, options)
      const job = await engine.submit(request, { origin: 'stream', env: c.env, executionCtx: executionCtxOf(c) })
      return sseResponse(engine, job, 0, options, c.req.raw.method)
    },
    doc: {
      name: 'runStream',
      tag: 'streams',
      summary: 'Run a job and stream it',
      description: ({ disconnectGrace }) =>
        `Creates the job and answers its Server-Sent Events at once; \`X-Job-Id\` names it. ` +
        (disconnectGrace === Infinity
          ? "The job is never cancelled for its readers leaving (the worker's `disconnectGrace` is unbounded)."
          : `When every reader has been gone for the worker's \`disconnectGrace\` (${disconnectGrace} ms), the job is cancelled.`),
      jobRequest: true,
      responses: { 200: { description: "The job's event stream.", headers: sseAnswerHeaders, content: { 'text/event-stream': sseMedia } } },
      errors: SUBMIT_ERRORS,
    },
  },
  {
    path: '/stream/:id',
    methods: ['GET', 'POST'],
    handler: ({ engine, options }) => async (c) => {
      const job = await engine.require(idOf(c))
      if (acceptsEventStream(c.req.header('accept') ?? null)) {
        const after = parseCount(c.req.header('last-event-id') ?? c.req.query('lastEventId'), 'Last-Event-ID', 0)
        const { lastSeq } = job.attempt
        const ended = hasEnded(job.attempt)
        // The reader has seen `done`: 204 tells EventSource to stop reconnecting.
        if (ended && after === lastSeq) return new Response(null, { status: 204 })
        // A reader past the end of an ended job saw events the log no longer has (a store that
        // lost its last writes in a restart): it still gets the `done`.
        return sseResponse(engine, job, ended && after > lastSeq ? lastSeq - 1 : after, options, c.req.raw.method)
      }
      const afterParam = c.req.query('after')
      const after = afterParam === undefined ? undefined : parseCount(afterParam, 'after', 0)
      const wait = parseWait(c.req.query('wait'), options.streamPollWait, MAX_POLL_WAIT)
      engine.touch(job)
      await waitForNews(engine.store.jobs, job, after ?? job.attempt.drainSeq, wait, () => c.req.raw.signal)
      return jsonText(await polledStreamJson(engine, job.id, after))
    },
    doc: {
      name: 'streamJob',
      tag: 'streams',
      summary: "Read a job's outputs",
      description: [
        'Content negotiation: a request whose `Accept` names `text/event-stream` gets Server-Sent Events (resume with',
        "`Last-Event-ID` or `?lastEventId=`); any other (`*/*` and `application/json` included) gets RunPod's polled JSON,",
        'which drains: each output is answered to exactly one polled read, unless `?after=` reads without draining.',
      ].join(' '),
      parameters: ['JobId', 'LastEventIdHeader', 'LastEventIdQuery', 'After', 'PollWait'],
      responses: {
        200: {
          description: 'SSE (`text/event-stream`; `X-Job-Id` and the no-cache headers are sent with it) or the polled JSON.',
          headers: sseAnswerHeaders,
          content: { 'text/event-stream': sseMedia, 'application/json': { schema: ref('schemas', 'PolledStream') } },
        },
        204: { description: 'SSE only: the reader has already seen `done` (its last event id is the last one), so EventSource stops.' },
      },
      errors: ['InvalidParameter', 'JobNotFound'],
    },
  },
]

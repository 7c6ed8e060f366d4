/**
 * The routes of jobs: submit (`/run`, `/runsync`), inspect (`/status`, `/status-sync`), cancel and
 * retry. docs/protocol.md, "Routes".
 * @module
 */
import type { Context } from 'hono'
import type { Awaitable } from '../../awaitable.ts'
import { isPromiseLike } from '../../awaitable.ts'
import { STATUS_LOGS, SYNC_WAIT } from '../../limits.ts'
import type { JobState } from '../../store/job-state.ts'
import { withMembers } from '../../store/status-json.ts'
import type { JobEngine } from '../../engine/engine.ts'
import { recentLogsJson } from '../../engine/log-view.ts'
import { jsonAnswer } from '../openapi-schemas.ts'
import { parseFlag, parseWait } from '../params.ts'
import type { Route } from '../route.ts'
import { executionCtxOf, idOf, jobRequestOf, json, jsonText } from '../route.ts'

/** The errors of every route that takes a job request. */
export const SUBMIT_ERRORS = ['InvalidRequest', 'PayloadTooLarge', 'QueueFull', 'Draining'] as const

/** The status object of the job now, or as `job` was when it is gone since (its ttl was short). */
function statusNow(engine: JobEngine, job: JobState, logs = false): Awaitable<Response> {
  const now = engine.get(job.id)
  if (isPromiseLike(now)) return Promise.resolve(now).then((fresh) => statusAnswer(engine, fresh ?? job, logs))
  return statusAnswer(engine, now ?? job, logs)
}

/** The answer of the job's status object, with its output, and with its recent log lines when `logs`. */
function statusAnswer(engine: JobEngine, job: JobState, logs = false): Awaitable<Response> {
  if (logs) return statusWithLogs(engine, job)
  const json = engine.statusJson(job)
  return isPromiseLike(json) ? Promise.resolve(json).then((text) => jsonText(text)) : jsonText(json)
}

/** `?logs=1`: the status object with `logs` (and `logsDropped`) after its own members. */
async function statusWithLogs(engine: JobEngine, job: JobState): Promise<Response> {
  const [json, logs] = await Promise.all([engine.statusJson(job), recentLogsJson(engine.store.jobs, job, STATUS_LOGS)])
  return jsonText(withMembers(json, logs))
}

/** `?logs=` of the routes that read a status object. */
const logsOf = (c: Context) => parseFlag(c.req.query('logs'), 'logs')

/** `/run`, `/runsync`, `/status/:id`, `/status-sync/:id`, `/cancel/:id`, `/retry/:id`. */
export const jobRoutes: readonly Route[] = [
  {
    path: '/run',
    methods: ['POST'],
    submits: true,
    handler: ({ engine, options }) => async (c) => {
      const job = await engine.submit(await jobRequestOf(c, options), { env: c.env, executionCtx: executionCtxOf(c) })
      // Every job enters through the queue; what it does next is for /status to say.
      return json({ id: job.id, status: 'IN_QUEUE' })
    },
    doc: {
      name: 'run',
      tag: 'jobs',
      summary: 'Queue a job',
      description: 'Queues the job and answers at once; it runs in the background. Read it with `/status`, `/stream` or a webhook.',
      jobRequest: true,
      responses: { 200: jsonAnswer('The job is queued.', 'JobQueued') },
      errors: SUBMIT_ERRORS,
    },
  },
  {
    path: '/runsync',
    methods: ['POST'],
    submits: true,
    handler: ({ engine, options }) => async (c) => {
      const wait = parseWait(c.req.query('wait'), SYNC_WAIT.default, SYNC_WAIT.max)
      const job = await engine.submit(await jobRequestOf(c, options, true), { origin: 'sync', env: c.env, executionCtx: executionCtxOf(c) })
      await engine.waitForEnd(job.id, wait, () => c.req.raw.signal)
      return statusNow(engine, job)
    },
    doc: {
      name: 'runSync',
      tag: 'jobs',
      summary: 'Run a job and wait for it',
      description: 'Answers the status object once the job is terminal, or the non-final one (still HTTP 200) when `wait` passes first.',
      parameters: ['SyncWait'],
      jobRequest: true,
      responses: { 200: jsonAnswer('The status object, final unless `wait` passed first.', 'StatusObject') },
      errors: SUBMIT_ERRORS,
    },
  },
  {
    path: '/status/:id',
    methods: ['GET', 'POST'],
    handler: ({ engine }) => async (c) => {
      const logs = logsOf(c)
      return statusAnswer(engine, await engine.require(idOf(c)), logs)
    },
    doc: {
      name: 'jobStatus',
      tag: 'jobs',
      summary: "A job's status",
      description: 'The status object now; with `?logs=1`, also its most recent `job.log` lines.',
      parameters: ['JobId', 'Logs'],
      responses: { 200: jsonAnswer('The status object.', 'StatusObject') },
      errors: ['InvalidParameter', 'JobNotFound'],
    },
  },
  {
    path: '/status-sync/:id',
    methods: ['GET'],
    handler: ({ engine }) => async (c) => {
      const logs = logsOf(c)
      const job = await engine.require(idOf(c))
      const wait = parseWait(c.req.query('wait'), SYNC_WAIT.default, SYNC_WAIT.max)
      await engine.waitForEnd(job.id, wait, () => c.req.raw.signal)
      return statusNow(engine, job, logs)
    },
    doc: {
      name: 'jobStatusSync',
      tag: 'jobs',
      summary: "Wait for a job's end",
      description:
        "Waits like `/runsync` for the job to end, then answers the status object (RunPod's JS client uses it); with `?logs=1`, also its most recent `job.log` lines.",
      parameters: ['JobId', 'SyncWait', 'Logs'],
      responses: { 200: jsonAnswer('The status object, final unless `wait` passed first.', 'StatusObject') },
      errors: ['InvalidParameter', 'JobNotFound'],
    },
  },
  {
    path: '/cancel/:id',
    methods: ['POST'],
    handler: ({ engine }) => async (c) => jsonText(await engine.statusJson(await engine.cancel(idOf(c)), false)),
    doc: {
      name: 'cancelJob',
      tag: 'jobs',
      summary: 'Cancel a job',
      description: "Ends the job `CANCELLED` and aborts its handler's `job.signal`; a job already terminal keeps its status.",
      parameters: ['JobId'],
      responses: { 200: jsonAnswer('The status object without `output`.', 'StatusWithoutOutput') },
      errors: ['JobNotFound'],
    },
  },
  {
    path: '/retry/:id',
    methods: ['POST'],
    handler: ({ engine }) => async (c) => {
      const job = await engine.retry(idOf(c), executionCtxOf(c))
      return json({ id: job.id, status: 'IN_QUEUE' })
    },
    doc: {
      name: 'retryJob',
      tag: 'jobs',
      summary: 'Retry a failed job',
      description: 'Puts a `FAILED` or `TIMED_OUT` job back in the queue with the same id and input; other states answer 409.',
      parameters: ['JobId'],
      responses: { 200: jsonAnswer('The job is queued again.', 'JobQueued') },
      errors: ['JobNotFound', 'InvalidState', 'QueueFull', 'Draining'],
    },
  },
]

/**
 * edgepod on Cloudflare Workers. A Worker needs no adapter code: the worker that
 * `serverless.start` returns is already a Workers module (`export default serverless.start(...)`,
 * which satisfies `ExportedHandler<Env>`). This entry re-exports what a Worker uses, and its
 * documentation holds what was measured about the runtime (wrangler 4.86 / workerd 2026-04-26).
 *
 * - **Keep `ctx`.** Workers calls `fetch(request, env, ctx)`; edgepod passes `env` on as `job.env`
 *   and calls `ctx.waitUntil` for every job until it ends. That is what lets a `/run` job run after
 *   its response: without `ctx`, a job stops at its first timer once the response is sent (workerd
 *   drops the request's timers), and no later request wakes it. A wrapper must pass all three
 *   arguments: `fetch: (request, env, ctx) => worker.fetch(request, env, ctx)`.
 * - **Work after the response is capped.** Cloudflare ends `waitUntil` work 30 s after the
 *   response (or the client's disconnect); `wrangler dev` enforces no cap (a 130 s `/run` job
 *   completed locally). Long jobs belong in a Durable Object or Workflow, or on another runtime.
 * - **Disconnects are seen late.** Workers has no disconnect signal: `request.signal` never aborts
 *   (unless the `enable_request_signal` compatibility flag is set), and the SSE body's `cancel()`
 *   arrives only after edgepod has written two or three more chunks into the closed connection
 *   (because the job holds `waitUntil`; without it, never). So a `POST /stream` reader that leaves
 *   is noticed 2-3 events later, or 2-3 `keepAlive` pings later on a quiet stream (30-45 s with
 *   the default 15 s), and `disconnectGrace` counts from then. A fast producer whose reader left
 *   with data in flight was sometimes never noticed (4 of 14 tries; `request.signal`, with the
 *   flag, misses those too): such a job runs until it ends, fails a limit, or `POST /cancel/:id`.
 * - **Idle connections.** Cloudflare answers 524 after 100 s without a byte: the `: ping` every
 *   `keepAlive` keeps SSE streams; keep `/runsync?wait=` and `/status-sync?wait=` under 100 s
 *   (90 s by default).
 * - **State is per isolate.** Jobs live in the memory of the isolate that took them: requests
 *   served by another isolate (another location, or after an eviction) do not see them, so a
 *   `/status` poll can answer 404 in production. `wrangler dev` runs one isolate.
 * - **No flags.** edgepod needs no `nodejs_compat`; it ran the same with compatibility dates
 *   from 2022-11-30 to 2026-04-26.
 * @example
 * ```ts
 * import { serverless } from 'edgepod/cloudflare-workers'
 *
 * export default serverless.start<{ prompt: string }, Env>({
 *   handler: async function* (job) { yield `${job.env.GREETING} ${job.input.prompt}` },
 * }) satisfies ExportedHandler<Env>
 * ```
 * @module
 */
import { progressUpdate } from '../../serverless.ts'
import { start } from './start.ts'

/** RunPod's namespace, with the `durableObject` option of {@link start}. */
export const serverless = { start, progressUpdate, progress_update: progressUpdate } as const

export { start } from './start.ts'
export type { CloudflareWorkerConfig } from './start.ts'
export { progressUpdate } from '../../serverless.ts'
export { EdgepodJobs } from './durable-object.ts'
export type { DurableObjectStateLike } from './durable-object.ts'
export type { ExecutionContextLike, Handler, Job, Worker, WorkerConfig } from '../../index.ts'

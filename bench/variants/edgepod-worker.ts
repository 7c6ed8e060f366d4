/**
 * The edgepod worker the benchmark serves, whichever sources `serverless` comes from: the workload
 * as a user writes it, through edgepod's real routes (`POST /stream`, `/stream/:id`, `/runsync`,
 * `/run`, `/status/:id`), plus the benchmark's `/_probe`. `edgepod` and `edgepod-baseline` both
 * serve it, so a before/after comparison differs only in the sources.
 *
 * Two settings differ from the defaults, both for what is measured: concurrency 2000, so that 1,000
 * open streams run rather than queue, and `disconnectGrace: 0`, so a `POST /stream` whose reader
 * leaves is cancelled at once instead of waiting 30 s for it to resume. The same 2000 holds on the
 * Durable Object store (`edgepod-do`), where it is the coordinator's slots for the deployment: far
 * above the jobs metric's 10 jobs at a time and the 100 concurrent streams, so neither queues.
 * @module
 */
// Types only: a value import would put this tree's edgepod in the baseline's workerd bundle too.
import type { serverless as cloudflare } from '../../src/adapter/cloudflare-workers/index.ts'
import type { DurableObjectOption } from '../../src/adapter/cloudflare-workers/start.ts'
import type { WorkloadParams } from '../workload.ts'
import { probeResponse, tokens } from '../workload.ts'
import type { BenchWorker } from './reference-routes.ts'

/** The binding of edgepod's Durable Object class in the workerd host, for `edgepod-do` and its baseline. */
export const durableObjectBinding = 'EDGEPOD_JOBS'

/**
 * The benchmark's worker, started with `serverless` (this tree's, or the baseline's; the core's or
 * Cloudflare's, whose `start` takes the core's options too), on the store `store` chooses: in
 * memory unless it names a Durable Object binding.
 */
export function edgepodWorker(serverless: Pick<typeof cloudflare, 'start'>, store: DurableObjectOption = {}): BenchWorker {
  const worker = serverless.start({
    ...store,
    handler: (job: { input: WorkloadParams }) => tokens(job.input),
    returnAggregateStream: true,
    concurrencyModifier: 2_000,
    disconnectGrace: 0,
  })
  return {
    fetch(request, env, ctx) {
      const url = new URL(request.url)
      if (url.pathname === '/_probe') return probeResponse(url)
      return worker.fetch(request, env as never, ctx as never)
    },
  }
}

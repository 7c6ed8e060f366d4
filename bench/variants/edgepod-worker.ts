/**
 * The edgepod worker the benchmark serves, whichever sources `serverless` comes from: the workload
 * as a user writes it, through edgepod's real routes (`POST /stream`, `/stream/:id`, `/runsync`,
 * `/run`, `/status/:id`), plus the benchmark's `/_probe`. `edgepod` and `edgepod-baseline` both
 * serve it, so a before/after comparison differs only in the sources.
 *
 * Two settings differ from the defaults, both for what is measured: concurrency 2000, so that 1,000
 * open streams run rather than queue, and `disconnectGrace: 0`, so a `POST /stream` whose reader
 * leaves is cancelled at once instead of waiting 30 s for it to resume.
 * @module
 */
// Types only: a value import would put this tree's edgepod in the baseline's workerd bundle too.
import type { serverless as edgepod } from '../../src/index.ts'
import type { WorkloadParams } from '../workload.ts'
import { probeResponse, tokens } from '../workload.ts'
import type { BenchWorker } from './reference-routes.ts'

/** The benchmark's worker, started with `serverless` (this tree's, or the baseline's). */
export function edgepodWorker(serverless: Pick<typeof edgepod, 'start'>): BenchWorker {
  const worker = serverless.start({
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

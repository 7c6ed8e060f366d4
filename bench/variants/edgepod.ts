/**
 * edgepod: the workload as a user writes it, served through edgepod's real routes (`POST /stream`,
 * `/stream/:id`, `/runsync`, `/run`, `/status/:id`), plus the benchmark's `/_probe`.
 *
 * Two settings differ from the defaults, both for what is measured: concurrency 2000, so that 1,000
 * open streams run rather than queue, and `disconnectGrace: 0`, so a `POST /stream` whose reader
 * leaves is cancelled at once instead of waiting 30 s for it to resume.
 * @module
 */
import { serverless } from '../../src/index.ts'
import type { WorkloadParams } from '../workload.ts'
import { probeResponse, tokens } from '../workload.ts'

const worker = serverless.start({
  handler: (job: { input: WorkloadParams }) => tokens(job.input),
  returnAggregateStream: true,
  concurrencyModifier: 2_000,
  disconnectGrace: 0,
})

export default {
  fetch(request: Request, env?: unknown, ctx?: unknown): Response | Promise<Response> {
    const url = new URL(request.url)
    if (url.pathname === '/_probe') return probeResponse(url)
    return worker.fetch(request, env as never, ctx as never)
  },
}

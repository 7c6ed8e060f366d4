/**
 * edgepod-do-baseline: the same worker as `edgepod-do`, built from another commit's
 * `src/adapter/cloudflare-workers/` (`npm run bench -- --variants edgepod-do --baseline <git-ref>`).
 * The workerd host writes the path of that commit's entry into the expression below at bundle time,
 * as it does for `edgepod-baseline`, so that esbuild bundles the baseline's sources and its
 * `EdgepodJobs` class. workerd only.
 * @module
 */
import type * as cloudflare from '../../src/adapter/cloudflare-workers/index.ts'
import { durableObjectBinding, edgepodWorker } from './edgepod-worker.ts'

// Spelled out rather than read through a constant: esbuild replaces this very expression.
if (!process.env.EDGEPOD_BASELINE_CLOUDFLARE_SRC) {
  throw new Error('edgepod-do-baseline: EDGEPOD_BASELINE_CLOUDFLARE_SRC is not set; run the bench with --baseline <git-ref> on workerd')
}
// Typed as this tree's entry: the worker calls `serverless.start` with `durableObject`, and the
// class is exported as it is, which the entry has done since the Durable Object store came.
const baseline = (await import(process.env.EDGEPOD_BASELINE_CLOUDFLARE_SRC)) as typeof cloudflare

export default edgepodWorker(baseline.serverless, { durableObject: durableObjectBinding })
export const EdgepodJobs = baseline.EdgepodJobs

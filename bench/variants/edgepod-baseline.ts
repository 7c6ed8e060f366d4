/**
 * edgepod-baseline: the same worker as `edgepod` (see `edgepod-worker.ts`), built from another
 * commit's `src/`: `npm run bench -- --baseline <git-ref>` checks that commit out in a temporary
 * worktree and gives this process the path of its `src/index.ts` in `EDGEPOD_BASELINE_SRC`.
 * @module
 */
import type * as edgepod from '../../src/index.ts'
import { edgepodWorker } from './edgepod-worker.ts'

// Spelled out rather than read through a constant: the workerd host has esbuild replace this very
// expression with the path, so that the baseline's sources are bundled like any static import.
if (!process.env.EDGEPOD_BASELINE_SRC) {
  throw new Error('edgepod-baseline: EDGEPOD_BASELINE_SRC is not set; run the bench with --baseline <git-ref>')
}
// Typed as this tree's API: the worker only calls `serverless.start`, with options edgepod has had
// since its first commit.
const { serverless } = (await import(process.env.EDGEPOD_BASELINE_SRC)) as typeof edgepod

export default edgepodWorker(serverless)

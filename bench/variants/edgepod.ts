/**
 * edgepod: the benchmark's edgepod worker (see `edgepod-worker.ts`) built from this tree's `src/`.
 * @module
 */
import { serverless } from '../../src/index.ts'
import { edgepodWorker } from './edgepod-worker.ts'

export default edgepodWorker(serverless)

/**
 * edgepod-do: the benchmark's edgepod worker (see `edgepod-worker.ts`) on edgepod's Durable Object
 * store, built from this tree's `src/`: the Worker in front forwards each request to the objects,
 * which run the handler. workerd only (the workerd host binds the class as `EDGEPOD_JOBS`, with its
 * SQLite migration).
 * @module
 */
import { EdgepodJobs, serverless } from '../../src/adapter/cloudflare-workers/index.ts'
import { durableObjectBinding, edgepodWorker } from './edgepod-worker.ts'

export default edgepodWorker(serverless, { durableObject: durableObjectBinding })
export { EdgepodJobs }

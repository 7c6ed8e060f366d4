// The conformance worker with edgepod's Durable Object store: one config line, and the class (and
// a keyed twin in memory under /_keyed, for what a key refuses).
import { serverless } from 'edgepod/cloudflare-workers'
import { CONFORMANCE_KEY, conformanceConfig, withProbes } from './handler.ts'

export default withProbes(
  serverless.start({ ...conformanceConfig, durableObject: 'EDGEPOD_JOBS' }),
  serverless.start({ ...conformanceConfig, apiKey: CONFORMANCE_KEY })
)
export { EdgepodJobs } from 'edgepod/cloudflare-workers'

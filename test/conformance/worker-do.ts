// The conformance worker with edgepod's Durable Object store: one config line, and the class.
import { serverless } from 'edgepod/cloudflare-workers'
import { conformanceConfig, withProbes } from './handler.ts'

export default withProbes(serverless.start({ ...conformanceConfig, durableObject: 'EDGEPOD_JOBS' }))
export { EdgepodJobs } from 'edgepod/cloudflare-workers'

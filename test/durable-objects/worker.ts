// The conformance handler on edgepod's Durable Object store, one job at a time (so jobs queue).
import { serverless } from 'edgepod/cloudflare-workers'
import { conformanceConfig, withProbes } from '../conformance/handler.ts'

export default withProbes(serverless.start({ ...conformanceConfig, concurrencyModifier: 1, cleanupTimeout: 500, durableObject: 'EDGEPOD_JOBS' }))
export { EdgepodJobs } from 'edgepod/cloudflare-workers'

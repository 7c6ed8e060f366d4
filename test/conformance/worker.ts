// The conformance worker, its jobs in memory.
import { serverless } from 'edgepod'
import { conformanceConfig, withProbes } from './handler.ts'

export default withProbes(serverless.start(conformanceConfig))

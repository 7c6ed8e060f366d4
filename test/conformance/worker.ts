// The conformance worker, its jobs in memory (and its keyed twin under /_keyed).
import { serverless } from 'edgepod'
import { CONFORMANCE_KEY, conformanceConfig, withProbes } from './handler.ts'

export default withProbes(serverless.start(conformanceConfig), serverless.start({ ...conformanceConfig, apiKey: CONFORMANCE_KEY }))

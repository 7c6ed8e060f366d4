// The conformance handler on edgepod's Durable Objects, one job at a time (so jobs queue). The test
// route /_test/coordinator-calls asks the coordinator how many calls of each kind it took, through
// the binding, as no request from outside may reach the objects' own paths.
import { serverless } from 'edgepod/cloudflare-workers'
import { conformanceConfig, withProbes } from '../conformance/handler.ts'

const worker = withProbes(serverless.start({ ...conformanceConfig, concurrencyModifier: 1, cleanupTimeout: 500, durableObject: 'EDGEPOD_JOBS' }))

interface Namespace {
  idFromName(name: string): unknown
  get(id: unknown): { fetch(request: Request): Promise<Response> }
}

export default {
  fetch(request: Request, env: { EDGEPOD_JOBS: Namespace }, ctx: unknown): Response | Promise<Response> {
    if (new URL(request.url).pathname === '/_test/coordinator-calls') {
      const name = 'edgepod:coordinator'
      return env.EDGEPOD_JOBS.get(env.EDGEPOD_JOBS.idFromName(name)).fetch(
        new Request('https://edgepod.internal/_edgepod/calls', { headers: { 'x-edgepod-object': name } })
      )
    }
    return worker.fetch(request, env, ctx)
  },
}
export { EdgepodJobs } from 'edgepod/cloudflare-workers'

// The conformance handler on edgepod's Durable Objects, one job at a time (so jobs queue). Two test
// routes, answered by this Worker through the binding (no request from outside may reach the
// objects' own paths): /_test/coordinator-calls asks the coordinator how many calls of each kind
// it took, and /_test/fail-next/<call> makes the next call of that kind between objects fail, as a
// network fault would, so that a test sees the outboxes replay it. The objects run in this isolate
// under wrangler dev, so the flag set here is the one their calls see.
import { serverless, EdgepodJobs as Objects } from 'edgepod/cloudflare-workers'
import { conformanceConfig, withProbes } from '../conformance/handler.ts'

const worker = withProbes(serverless.start({ ...conformanceConfig, concurrencyModifier: 1, cleanupTimeout: 500, durableObject: 'EDGEPOD_JOBS' }))

interface Namespace {
  idFromName(name: string): unknown
  get(id: unknown): { fetch(request: Request): Promise<Response> }
}

/** The kinds of call (`ended`, `grant`, ...) whose next one fails. */
const failNext = new Set<string>()

/** The namespace, with the calls between objects failing once when asked. */
function faulty(namespace: Namespace): Namespace {
  return {
    idFromName: (name) => namespace.idFromName(name),
    get(id) {
      const stub = namespace.get(id)
      return {
        fetch(request) {
          const kind = new URL(request.url).pathname.split('/').pop()!
          if (failNext.delete(kind)) return Promise.reject(new Error(`the test failed this ${kind} call`))
          return stub.fetch(request)
        },
      }
    },
  }
}

/** edgepod's objects, their calls to each other through {@link faulty}. */
export class EdgepodJobs extends Objects {
  constructor(state: ConstructorParameters<typeof Objects>[0], env: { EDGEPOD_JOBS: Namespace }) {
    super(state, { ...env, EDGEPOD_JOBS: faulty(env.EDGEPOD_JOBS) })
  }
}

export default {
  fetch(request: Request, env: { EDGEPOD_JOBS: Namespace }, ctx: unknown): Response | Promise<Response> {
    const path = new URL(request.url).pathname
    if (path === '/_test/coordinator-calls') {
      const name = 'edgepod:coordinator'
      return env.EDGEPOD_JOBS.get(env.EDGEPOD_JOBS.idFromName(name)).fetch(
        new Request('https://edgepod.internal/_edgepod/calls', { headers: { 'x-edgepod-object': name } })
      )
    }
    if (path.startsWith('/_test/fail-next/')) {
      failNext.add(path.slice('/_test/fail-next/'.length))
      return new Response(null, { status: 204 })
    }
    return worker.fetch(request, env, ctx)
  },
}

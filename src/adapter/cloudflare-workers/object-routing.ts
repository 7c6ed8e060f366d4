/**
 * Which Durable Object a request of the job API goes to, from the route table: a route of one job
 * (`/status/:id`, `/stream/:id`, ...) to that job's object; a submission (`/run`, `/runsync`,
 * `POST /stream`) to the object of a new job, whose id is chosen here; everything else (`/health`,
 * `/purge-queue`, `/openapi.json`, unknown paths) to the coordinator. Under `/v2/:endpointId` too.
 * @module
 */
import { routes } from '../../http/routes/index.ts'
import { COORDINATOR_NAME, INTERNAL_PATH, jobObjectName } from './coordination.ts'

/** Where a request goes: the name of the object (a new job's object is named after the id chosen for it). */
export interface Destination {
  object: string
}

/** The first segment of each route of one job: `status`, `stream`, ... */
const JOB_ROUTES = new Set(routes.filter((route) => route.path.endsWith('/:id')).map((route) => route.path.slice(1, -'/:id'.length)))
/** The paths that submit a job, with their method. */
const SUBMIT_ROUTES = new Set(routes.filter((route) => route.submits).flatMap((route) => route.methods.map((method) => `${method} ${route.path}`)))

/** Where `request` goes; undefined for a path no one outside may reach (the objects' own). */
export function destinationOf(request: Request): Destination | undefined {
  let path = new URL(request.url).pathname
  if (path.startsWith(INTERNAL_PATH)) return undefined
  const versioned = /^\/v2\/[^/]+(\/.*)$/.exec(path)
  if (versioned) path = versioned[1]!
  if (SUBMIT_ROUTES.has(`${request.method} ${path}`)) {
    return { object: jobObjectName(crypto.randomUUID()) }
  }
  const segments = /^\/([^/]+)\/([^/]+)$/.exec(path)
  if (segments && JOB_ROUTES.has(segments[1]!)) {
    try {
      return { object: jobObjectName(decodeURIComponent(segments[2]!)) }
    } catch {
      // A broken escape: the coordinator's app answers it as it answers any bad path.
    }
  }
  return { object: COORDINATOR_NAME }
}

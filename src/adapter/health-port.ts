/**
 * RunPod's health port: a load-balancing endpoint polls `GET /ping` on `PORT_HEALTH` when it is
 * set apart from `PORT`. A server that has one answers there `/ping` of the worker, and only that.
 * @module
 */
import { WorkerError } from '../errors.ts'
import { errorResponse } from '../http/http-error.ts'
import type { FetchHandler } from './server.ts'
import { portNumber } from './server.ts'

/** `PORT_HEALTH` from `env` when it names a port apart from `port`; throws a `TypeError` for a bad one. */
export function healthPortOf(env: Readonly<Record<string, string | undefined>>, port: number): number | undefined {
  const text = env['PORT_HEALTH']
  if (text === undefined || text === '') return undefined
  const health = portNumber(text, 'PORT_HEALTH')
  // Port 0 is any free port: two of them are two listeners.
  return health === port && port !== 0 ? undefined : health
}

/** What the health port serves: the worker's `GET /ping`, and 404 `not_found` for anything else. */
export function healthPortHandler(worker: FetchHandler): FetchHandler {
  return {
    fetch(request, env, executionCtx) {
      if (new URL(request.url).pathname === '/ping') return worker.fetch(request, env, executionCtx)
      return errorResponse(new WorkerError('not_found', 'this is the health port: only GET /ping is served here'))
    },
  }
}

/**
 * The Worker in front of edgepod's Durable Objects: it sends each request to the object it is for
 * (object-routing.ts), a job's own or the deployment's coordinator, so that readers of a job touch
 * nothing but its object, and no object serves the whole deployment.
 * @module
 */
import { Hono } from 'hono'
import type { JobEngine } from '../../engine/engine.ts'
import { refusal } from '../../http/http-error.ts'
import type { Worker } from '../../serverless.ts'
import type { ObjectNamespace } from './coordination.ts'
import { OBJECT_NAME_HEADER } from './coordination.ts'
import { destinationOf } from './object-routing.ts'

/** A worker that forwards every request to the Durable Object it is for, of the class bound as `binding`. */
export function forwardingWorker(binding: string): Worker<any, any, any> {
  const forward = (request: Request, env: unknown): Promise<Response> | Response => {
    const namespace = (env as Record<string, ObjectNamespace | undefined> | undefined)?.[binding]
    if (typeof namespace?.idFromName !== 'function') {
      return refusal('internal', `edgepod: no Durable Object binding ${binding}; bind the class EdgepodJobs under that name in wrangler.toml`)
    }
    const destination = destinationOf(request)
    if (!destination) return refusal('not_found', 'no such route')
    const forwarded = new Request(request)
    // Set here whatever the client sent: it says which object this is.
    forwarded.headers.set(OBJECT_NAME_HEADER, destination.object)
    return namespace.get(namespace.idFromName(destination.object)).fetch(forwarded)
  }
  const app = new Hono()
  app.all('*', (c) => forward(c.req.raw, c.env))
  const worker = { fetch: (request: Request, env?: unknown) => forward(request, env), app }
  // Not enumerable: a tool that spreads the module's default export ({...worker}, as wrangler's dev
  // middleware does) must not read it, and there is no engine in this isolate to give.
  Object.defineProperty(worker, 'engine', {
    enumerable: false,
    get(): JobEngine {
      throw new Error('edgepod: with a Durable Object store the engine runs in the objects, not in this isolate')
    },
  })
  return worker as Worker<any, any, any>
}

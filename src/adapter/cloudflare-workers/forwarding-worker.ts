/**
 * The Worker in front of edgepod's Durable Object: it hands every request to the one object that
 * runs the deployment's jobs, so every isolate sees the same jobs, one concurrency limit and one
 * FIFO queue.
 * @module
 */
import { Hono } from 'hono'
import type { JobEngine } from '../../engine/engine.ts'
import { refusal } from '../../http/http-error.ts'
import type { Worker } from '../../serverless.ts'

interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown
  get(id: unknown): { fetch(request: Request): Promise<Response> }
}

/** A worker that forwards every request to the Durable Object bound as `binding`. */
export function forwardingWorker(binding: string): Worker<any, any, any> {
  const forward = (request: Request, env: unknown): Promise<Response> | Response => {
    const namespace = (env as Record<string, DurableObjectNamespaceLike | undefined> | undefined)?.[binding]
    if (typeof namespace?.idFromName !== 'function') {
      return refusal('internal', `edgepod: no Durable Object binding ${binding}; bind the class EdgepodJobs under that name in wrangler.toml`)
    }
    return namespace.get(namespace.idFromName('edgepod')).fetch(request)
  }
  const app = new Hono()
  app.all('*', (c) => forward(c.req.raw, c.env))
  const worker = { fetch: (request: Request, env?: unknown) => forward(request, env), app }
  // Not enumerable: a tool that spreads the module's default export ({...worker}, as wrangler's dev
  // middleware does) must not read it, and there is no engine in this isolate to give.
  Object.defineProperty(worker, 'engine', {
    enumerable: false,
    get(): JobEngine {
      throw new Error('edgepod: with a Durable Object store the engine runs in the object, not in this isolate')
    },
  })
  return worker as Worker<any, any, any>
}

/**
 * A Node host that behaves like workerd, for the pain-point tests about Workers: it never reports
 * a client that left except through a failed write, and it gives each request its own resource
 * (`env.db`) and execution context, closed as Workers ends a request's context.
 */
import { createServer } from 'node:http'
import type { ExecutionContextLike, Worker } from '../../../src/index.ts'
import { listenHttp } from './servers.ts'

/** A resource made for one request (a database connection), passed to the worker as `env.db`. */
export class Resource {
  closed = false
  usedAfterClose = 0
  readonly timeline: string[]
  constructor(timeline: string[]) {
    this.timeline = timeline
  }
  /** Notes `what` in the request's timeline; once closed, counts it and throws instead. */
  use(what: string): void {
    if (this.closed) {
      this.usedAfterClose++
      throw new Error(`${what}: the request's resource is closed`)
    }
    this.timeline.push(what)
  }
  /** Closes it, as Workers does when it ends the request's context. */
  close(): void {
    this.closed = true
    this.timeline.push('context closed')
  }
}

/** What the host saw of one request. */
export interface HostedRequest {
  path: string
  /** The client's socket closed: noted for the test only, the host never acts on it (workerd does not). */
  socketClosed: boolean
  db: Resource
  /** In order: the handler's uses of `db`, 'response over', 'context closed'. */
  timeline: string[]
  /** Promises the worker passed to `ctx.waitUntil`. */
  waitUntil: number
}

/**
 * Serves `worker` the way workerd runs a Worker: `request.signal` never aborts and nothing reports
 * a closed connection; a client that left is found only when a write finds its socket gone, and
 * then the response body is cancelled. Each request gets its own `env.db` and an execution
 * context, and, as Workers ends a request's context, `db` is closed once the response is over and
 * every promise passed to `ctx.waitUntil` has settled.
 */
export async function workersLikeHost(worker: Worker): Promise<{ url: string; requests: HostedRequest[] }> {
  const requests: HostedRequest[] = []
  const server = createServer((req, res) => {
    const timeline: string[] = []
    const hosted: HostedRequest = { path: req.url ?? '', socketClosed: false, db: new Resource(timeline), timeline, waitUntil: 0 }
    requests.push(hosted)
    req.socket.once('close', () => (hosted.socketClosed = true))
    void (async () => {
      let body = ''
      for await (const chunk of req) body += String(chunk)
      const headers = new Headers()
      for (const name of ['accept', 'content-type', 'last-event-id']) {
        const value = req.headers[name]
        if (typeof value === 'string') headers.set(name, value)
      }
      const request = new Request(`http://workerd.test${req.url}`, { method: req.method, headers, body: body === '' ? undefined : body })
      const pending: Promise<unknown>[] = []
      const ctx: ExecutionContextLike = {
        waitUntil(promise) {
          hosted.waitUntil++
          pending.push(promise.catch(() => {}))
        },
      }
      const response = await worker.fetch(request, { db: hosted.db }, ctx)
      res.writeHead(response.status, Object.fromEntries(response.headers))
      const reader = response.body?.getReader()
      while (reader) {
        const { done, value } = await reader.read()
        if (done) break
        // workerd's one disconnect signal: a write into a connection that is gone.
        if (req.socket.destroyed) {
          await reader.cancel()
          break
        }
        res.write(value)
      }
      res.end()
      timeline.push('response over')
      // A settled waitUntil promise may have added another: wait until none is left.
      for (let settled = 0; settled < pending.length; ) {
        const upTo = pending.length
        await Promise.all(pending.slice(settled, upTo))
        settled = upTo
      }
      hosted.db.close()
    })().catch((error: unknown) => {
      console.error('workers-like host:', error)
      res.destroy()
    })
  })
  return { url: await listenHttp(server), requests }
}

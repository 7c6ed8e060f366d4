import { serve } from '../../src/adapter/node/index.ts'
import type { FetchHandler, NodeServer } from '../../src/adapter/node/index.ts'

/** What a recording server noted of one request it answered. */
export interface SeenRequest {
  method: string
  path: string
  search: string
  accept: string | null
  lastEventId: string | null
  authorization: string | null
  /** Set once the worker has answered. */
  status?: number
}

/**
 * Serves `worker` on a real Node server (port 0) and records every request it answers, so a test
 * can tell what a real client sent: reconnects, `Last-Event-ID`, keys, how often it polled.
 * `before` may answer a request itself (a page beside the API); those are not recorded.
 */
export async function serveRecording(
  worker: FetchHandler,
  before?: (request: Request) => Response | undefined
): Promise<{ server: NodeServer; requests: SeenRequest[]; requestsTo(path: string): SeenRequest[] }> {
  const requests: SeenRequest[] = []
  const server = await serve(
    {
      async fetch(request, env) {
        const own = before?.(request)
        if (own) return own
        const url = new URL(request.url)
        const seen: SeenRequest = {
          method: request.method,
          path: url.pathname,
          search: url.search,
          accept: request.headers.get('accept'),
          lastEventId: request.headers.get('last-event-id'),
          authorization: request.headers.get('authorization'),
        }
        requests.push(seen)
        const response = await worker.fetch(request, env)
        seen.status = response.status
        return response
      },
    },
    { port: 0 }
  )
  return { server, requests, requestsTo: (path) => requests.filter((request) => request.path === path) }
}

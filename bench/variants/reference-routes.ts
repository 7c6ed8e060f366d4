/**
 * The routes the hand-written references share: `GET /sse` streams the workload with the variant's
 * own stream, `POST /runsync` answers a 5-yield run as RunPod's JSON, `GET /_probe` reads a probe.
 * @module
 */
import type { WorkloadParams } from '../workload.ts'
import { paramsOfQuery, probeResponse, tokens } from '../workload.ts'

/** A fetch-API module worker, as every runtime's host serves it. */
export interface BenchWorker {
  fetch(request: Request, env?: unknown, ctx?: unknown): Response | Promise<Response>
}

/** The headers of every reference SSE answer (the same ones edgepod sends). */
export const sseHeaders = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
} as const

/** Runs the workload to its end and answers what `/runsync` would: every output in an array. */
export async function runsyncResponse(request: Request): Promise<Response> {
  const body = (await request.json()) as { input: WorkloadParams }
  const output: unknown[] = []
  for await (const value of tokens(body.input)) output.push(value)
  return Response.json({ id: crypto.randomUUID(), status: 'COMPLETED', output })
}

/** A worker serving the shared routes, with `stream` turning a generator into its SSE answer. */
export function referenceWorker(stream: (events: AsyncGenerator<unknown>) => Response): BenchWorker {
  return {
    fetch(request) {
      const url = new URL(request.url)
      if (request.method === 'GET' && url.pathname === '/sse') return stream(tokens(paramsOfQuery(url)))
      if (request.method === 'POST' && url.pathname === '/runsync') return runsyncResponse(request)
      if (url.pathname === '/_probe') return probeResponse(url)
      return new Response('not found', { status: 404 })
    },
  }
}

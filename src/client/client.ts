/**
 * `createClient`: RunPod's job API, as an edgepod worker serves it, behind typed methods.
 * @module
 */
import { createTransport, jobPath } from './http.ts'
import { checkCallOptions, jobRequestBody } from './request.ts'
import { openStream } from './stream.ts'
import type { AnyWorker, ClientOf, ClientOptions, HealthReport, JobRef, JobStatusObject, PurgeResult, ResultOf } from './types.ts'

/**
 * Makes a client for the worker at `options.baseUrl`. Every method sends `Authorization: Bearer`
 * when `apiKey` is set, and throws {@link EdgepodHttpError} for a non-2xx answer. Pass the
 * worker's type (`typeof worker`, a type-only import) to type inputs (the schema's input type),
 * stream outputs, and the `output` of status objects (see {@link ResultOf}). `run`, `runSync` and
 * `stream` take the same job request, `{ input, webhook?, policy?, s3Config? }`, as RunPod's JS
 * SDK does; anything else (a bare input) is a `TypeError` at the call.
 * @example
 * ```ts
 * import { createClient } from 'edgepod/client'
 * import type worker from './worker.ts'
 *
 * const client = createClient<typeof worker>({ baseUrl: 'http://127.0.0.1:8000', apiKey: 'sk-…' })
 * const { id } = await client.run({ input: { prompt: 'hi' } })
 * console.log(await client.status(id))
 * for await (const token of client.stream({ input: { prompt: 'hi' } })) console.log(token)
 * ```
 */
export function createClient<TWorker = AnyWorker>(options: ClientOptions): ClientOf<TWorker> {
  const transport = createTransport(options)
  // The server's answers are trusted to be the worker's, as `stream` trusts its outputs to be.
  type Status = JobStatusObject<ResultOf<TWorker>>

  return {
    run: (request, call) => {
      checkCallOptions('run', call)
      return transport.json<JobRef>({ method: 'POST', path: '/run', body: jobRequestBody('run', request), signal: call?.signal })
    },
    runSync: (request, call) => {
      checkCallOptions('runSync', call)
      return transport.json<Status>({
        method: 'POST',
        path: '/runsync',
        query: { wait: call?.wait },
        body: jobRequestBody('runSync', request),
        signal: call?.signal,
      })
    },
    status: (id, call) =>
      transport.json<Status>({ method: 'GET', path: jobPath('/status', idOf(id)), query: { logs: call?.logs ? 1 : undefined }, signal: call?.signal }),
    cancel: (id, call) => transport.json<Status>({ method: 'POST', path: jobPath('/cancel', idOf(id)), signal: call?.signal }),
    retry: (id, call) => transport.json<JobRef>({ method: 'POST', path: jobPath('/retry', idOf(id)), signal: call?.signal }),
    health: (call) => transport.json<HealthReport>({ method: 'GET', path: '/health', signal: call?.signal }),
    purgeQueue: (call) => transport.json<PurgeResult>({ method: 'POST', path: '/purge-queue', signal: call?.signal }),
    stream: (job, streamOptions) => openStream(transport, job, streamOptions),
  }
}

/** A job id as given; an empty one is a caller's bug, named here rather than as a 404 for another route. */
function idOf(id: string): string {
  if (typeof id !== 'string' || id === '') throw new TypeError(`edgepod client: expected a job id, got ${JSON.stringify(id)}`)
  return id
}

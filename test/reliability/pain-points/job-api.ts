/**
 * The job API of a worker (/run, /stream, /status, /cancel) over real fetch, as the pain-point
 * tests call it: inputs are scripts for the scripted handler, SSE is asked for by its Accept header.
 */
import type { JobStatusObject } from '../../../src/index.ts'
import type { Script } from './scripted-worker.ts'

/** The Accept header of an SSE request. */
export const SSE = { accept: 'text/event-stream' } as const

/** The job API of the worker at `base`, over real fetch. */
export function api(base: string) {
  const post = (path: string, body?: unknown, init: RequestInit = {}) =>
    fetch(`${base}${path}`, { method: 'POST', body: body === undefined ? undefined : JSON.stringify(body), ...init })
  const getJson = async <T = Record<string, any>>(path: string): Promise<T> => (await (await fetch(`${base}${path}`)).json()) as T
  return {
    post,
    getJson,
    status: (id: string) => getJson<JobStatusObject>(`/status/${id}`),
    sse: (path: string, headers: Record<string, string> = {}, signal?: AbortSignal) =>
      fetch(`${base}${path}`, { headers: { ...SSE, ...headers }, signal }),
    run: async (input: Script, extra: Record<string, unknown> = {}) =>
      ((await (await post('/run', { input, ...extra })).json()) as { id: string }).id,
  }
}

/**
 * edgepod's job routes as the load generator calls them: `POST /run`, `GET /status/:id`, and the
 * SSE stream of a queued job, `GET /stream/:id`, which any member of a fleet serves.
 * @module
 */
import type { Agent, IncomingMessage } from 'node:http'
import type { WorkloadParams } from '../workload.ts'
import type { Target } from './http.ts'
import { send, textOf } from './http.ts'

/** Sends `target` and answers its JSON; throws on an answer other than 200. */
export async function jsonOf<T>(url: string, target: Target, agent?: Agent): Promise<T> {
  const response = await send(url, target, agent)
  const text = await textOf(response)
  if (response.statusCode !== 200) throw new Error(`${target.method} ${target.path}: HTTP ${response.statusCode} ${text}`)
  return JSON.parse(text) as T
}

/** Queues a job of the workload with `POST /run`; answers its id. */
export async function submitJob(url: string, params: WorkloadParams, agent?: Agent): Promise<string> {
  const { id } = await jsonOf<{ id: string }>(url, { method: 'POST', path: '/run', body: JSON.stringify({ input: params }) }, agent)
  return id
}

/** Opens the SSE stream of job `id`; resolves once its headers arrived, its body unread. */
export async function openJobStream(url: string, id: string, agent?: Agent): Promise<IncomingMessage> {
  const response = await send(url, { method: 'GET', path: `/stream/${id}`, headers: { accept: 'text/event-stream' } }, agent)
  if (response.statusCode !== 200) throw new Error(`GET /stream/${id}: HTTP ${response.statusCode} ${await textOf(response)}`)
  return response
}

/**
 * The load generator's requests, over `node:http` (lighter than fetch, so the client costs less than the servers it measures),
 * and how each variant is asked for the workload.
 * @module
 */
import { Agent, request as httpRequest } from 'node:http'
import type { IncomingMessage } from 'node:http'
import type { VariantName } from '../hosts/load-variant.ts'
import { edgepodVariants } from '../hosts/load-variant.ts'
import type { ProbeRecord, WorkloadParams } from '../workload.ts'
import { wallClock } from '../workload.ts'

/** One HTTP request. */
export interface Target {
  method: 'GET' | 'POST'
  path: string
  body?: string
  headers?: Record<string, string>
}

/** The request that streams the workload: the references' `GET /sse`, edgepod's `POST /stream`. */
export function streamTargetOf(variant: VariantName, params: WorkloadParams): Target {
  if (edgepodVariants.includes(variant)) return { method: 'POST', path: '/stream', body: JSON.stringify({ input: params }) }
  const query = new URLSearchParams(Object.entries(params).map(([key, value]) => [key, String(value)]))
  return { method: 'GET', path: `/sse?${query}` }
}

/**
 * SSE frames that are not workload events: edgepod opens with a comment (so proxies flush the
 * headers) and ends with its `done` event.
 */
export function framesAround(variant: VariantName): { before: number; after: number } {
  return edgepodVariants.includes(variant) ? { before: 1, after: 1 } : { before: 0, after: 0 }
}

/** Sends `target` and resolves with the response, its body unread. */
export function send(url: string, target: Target, agent?: Agent): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      `${url}${target.path}`,
      {
        method: target.method,
        agent: agent ?? false,
        headers: { ...(target.body === undefined ? {} : { 'content-type': 'application/json' }), ...target.headers },
      },
      resolve
    )
    request.once('error', reject)
    request.end(target.body)
  })
}

/** Reads a whole response body as text. */
export async function textOf(response: IncomingMessage): Promise<string> {
  let text = ''
  response.setEncoding('utf8')
  for await (const chunk of response) text += chunk
  return text
}

/** What reading one SSE answer saw. */
export interface StreamReading {
  /** Workload events (frames minus the variant's own). */
  events: number
  bytes: number
  /** ms from sending the request to the first workload event. */
  firstEventMs: number
  /** Wall-clock ms of the end, or of the disconnect. */
  endedAt: number
}

/** Counts SSE frames (`\n\n`) across chunks. */
export function frameCounter(): (chunk: Buffer) => number {
  let lastWasNewline = false
  return (chunk) => {
    let frames = 0
    let at = chunk.indexOf(10)
    while (at !== -1) {
      const previousIsNewline = at === 0 ? lastWasNewline : chunk[at - 1] === 10
      if (previousIsNewline) frames++
      at = chunk.indexOf(10, at + 1)
    }
    lastWasNewline = chunk[chunk.length - 1] === 10
    return frames
  }
}

/**
 * Streams the workload from `variant` and reads it to the end, or disconnects (destroys the
 * socket) once `disconnectAfter` events arrived.
 */
export async function readStream(
  url: string,
  variant: VariantName,
  params: WorkloadParams,
  options: { agent?: Agent; disconnectAfter?: number } = {}
): Promise<StreamReading> {
  const started = wallClock()
  const response = await send(url, streamTargetOf(variant, params), options.agent)
  if (response.statusCode !== 200) throw new Error(`${variant}: HTTP ${response.statusCode} ${await textOf(response)}`)
  const { before, after } = framesAround(variant)
  const count = frameCounter()
  let frames = 0
  let bytes = 0
  let firstEventAt = NaN
  return new Promise((resolve, reject) => {
    response.on('data', (chunk: Buffer) => {
      bytes += chunk.length
      frames += count(chunk)
      if (Number.isNaN(firstEventAt) && frames > before) firstEventAt = wallClock()
      if (options.disconnectAfter !== undefined && frames - before >= options.disconnectAfter) {
        const endedAt = wallClock()
        response.destroy()
        response.socket?.destroy()
        resolve({ events: frames - before, bytes, firstEventMs: firstEventAt - started, endedAt })
      }
    })
    response.once('end', () =>
      resolve({ events: Math.max(0, frames - before - after), bytes, firstEventMs: firstEventAt - started, endedAt: wallClock() })
    )
    response.once('error', reject)
  })
}

/** A keep-alive agent holding one connection, for sequential requests. */
export function oneConnection(): Agent {
  return new Agent({ keepAlive: true, maxSockets: 1 })
}

/** What the probed generator `id` recorded (`GET /_probe`), or `null` before it started. */
export async function probeOf(url: string, id: string, agent?: Agent): Promise<ProbeRecord | null> {
  return JSON.parse(await textOf(await send(url, { method: 'GET', path: `/_probe?id=${id}` }, agent))) as ProbeRecord | null
}

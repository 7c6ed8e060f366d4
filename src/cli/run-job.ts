/**
 * `edgepod run`: one job through the worker's own HTTP path, in process. `POST /stream` starts it,
 * its Server-Sent Events are printed as they arrive, and `/status/:id` gives the final word.
 * @module
 */
import { EventSourceParserStream } from 'eventsource-parser/stream'
import type { FetchHandler } from '../adapter/node/index.ts'
import type { JobLog, JobStatusObject } from '../types.ts'
import { envApiKeys } from '../http/auth.ts'
import { CliError } from './cli-error.ts'
import { onStopSignal } from './signals.ts'

/** The origin of the requests `run` makes; they never leave the process. */
const ORIGIN = 'http://edgepod.local'

/** The exit code of a second Ctrl-C, which does not wait for the cancellation: 128 + SIGINT. */
const INTERRUPTED = 130

/**
 * Runs the job `body` (a request body's JSON text) and prints each output as a JSON line, each
 * progress report as `progress: JSON`, then the final status object; each `job.log` line goes to
 * stderr as `[level] message`, so that stdout stays the outputs. Ctrl-C cancels the job.
 * Resolves to 0 if the job COMPLETED, 1 otherwise.
 */
export async function runJob(worker: FetchHandler, body: string): Promise<number> {
  // The env `dev` gives the worker too (the Node adapter's default), so job.env is the same in both,
  // and a worker keyed by EDGEPOD_API_KEY there accepts the key from the same place.
  const [key] = envApiKeys(process.env)
  const headers: Record<string, string> = key ? { Authorization: `Bearer ${key}` } : {}
  const call = (method: string, path: string, json?: string) =>
    worker.fetch(
      new Request(`${ORIGIN}${path}`, { method, body: json, headers: json ? { ...headers, 'Content-Type': 'application/json' } : headers }),
      process.env
    )

  const response = await call('POST', '/stream', body)
  if (!response.ok) throw await refusal(response)
  const id = response.headers.get('X-Job-Id')
  if (id === null || response.body === null) {
    throw new CliError('the worker answered POST /stream without a job stream; is its default export serverless.start(...)?', {
      exitCode: 1,
    })
  }

  let cancelling = false
  const stopListening = onStopSignal(() => {
    if (cancelling) process.exit(INTERRUPTED)
    cancelling = true
    console.error(`edgepod: cancelling job ${id} (Ctrl-C again to quit at once)`)
    // The cancellation comes back through the stream as a `done` event, which ends the loop below.
    void Promise.resolve(call('POST', `/cancel/${encodeURIComponent(id)}`)).catch(() => {})
  })
  let done: string | undefined
  try {
    done = await printEvents(response.body)
  } finally {
    stopListening()
  }

  const statusResponse = await call('GET', `/status/${encodeURIComponent(id)}`)
  // The status answer adds `output` to the `done` event's status object; the event is the fallback.
  const statusJson = statusResponse.ok ? (await statusResponse.text()).trim() : done
  if (statusJson === undefined) throw new CliError(`job ${id}: the stream ended without a status`, { exitCode: 1 })
  console.log(statusJson)
  const status = JSON.parse(statusJson) as JobStatusObject
  if (status.status === 'COMPLETED') return 0
  console.error(`edgepod: job ${status.status}${status.error === undefined ? '' : `: ${status.error}`}`)
  return 1
}

/**
 * Prints the outputs, progress reports and log lines of an SSE body; resolves to the `done` event's data.
 * `BufferSource` is what TextDecoderStream's types accept (a `Uint8Array` stream is not, to tsc).
 */
async function printEvents(body: ReadableStream<BufferSource>): Promise<string | undefined> {
  const reader = body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader()
  for (;;) {
    const { done, value: event } = await reader.read()
    if (done) return undefined
    // Every `data` is one line of JSON (docs/protocol.md), so an output prints as exactly one line.
    if (event.event === 'output') console.log(event.data)
    else if (event.event === 'progress') console.log(`progress: ${event.data}`)
    else if (event.event === 'log') console.error(logLines(JSON.parse(event.data) as JobLog))
    else if (event.event === 'done') return event.data
  }
}

/** A log line as stderr shows it: every line of a multi-line message under its level, so each can be told apart. */
export function logLines({ message, level }: JobLog): string {
  return message
    .split(/\r\n|\n|\r/)
    .map((line) => `[${level}] ${line}`)
    .join('\n')
}

/** The CliError for a refused request: the worker's JSON error, a usage error (2) when it is a 4xx. */
async function refusal(response: Response): Promise<CliError> {
  const text = await response.text()
  let reason = text
  try {
    const error = JSON.parse(text) as { error?: unknown; code?: unknown }
    if (typeof error.error === 'string') reason = `${error.error}${typeof error.code === 'string' ? ` (${error.code})` : ''}`
  } catch {
    // Not edgepod's JSON error shape: the body as it is says the most.
  }
  return new CliError(`the worker refused the job with HTTP ${response.status}: ${reason}`, {
    exitCode: response.status < 500 ? 2 : 1,
  })
}

/**
 * A job's log as an OpenAI stream: each output one `data: <json>` line (no `id:` or `event:`,
 * which OpenAI clients do not expect), a yielded string that is already SSE (`data: …\n\n`, as a
 * vLLM worker relays raw output) as it is, and the end `data: [DONE]`, or an OpenAI error when the
 * job did not complete. Progress and logs are not part of OpenAI's stream: nothing is sent.
 * @module
 */
import type { LogEventType } from '../../store/job-state.ts'
import { jobFailure } from './openai-errors.ts'

/** The end of an OpenAI stream. */
export const DONE_FRAME = 'data: [DONE]\n\n'

/** A yielded JSON string that holds SSE already: `"data: …"`. */
const RAW_SSE = /^"data:/

/** The frame of one event of the job's log (a `FrameEncoder` of the SSE reader). */
export function encodeOpenAIFrame(_seq: number, type: LogEventType, json: string): string {
  if (type === 'output') {
    if (!RAW_SSE.test(json)) return `data: ${json}\n\n`
    const raw = JSON.parse(json) as string
    return raw.endsWith('\n\n') ? raw : raw.endsWith('\n') ? `${raw}\n` : `${raw}\n\n`
  }
  if (type !== 'done') return ''
  const done = JSON.parse(json) as { status: 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'TIMED_OUT'; errorDetail?: { message: string; code?: string; type: string }; error?: string }
  if (done.status === 'COMPLETED') return DONE_FRAME
  return `data: ${jobFailure(done.status, done.errorDetail, done.error).json}\n\n`
}

/**
 * `openaiHandler`: a handler for the OpenAI-compatible routes (docs/protocol.md, "OpenAI-compatible
 * routes") made from functions that yield plain text tokens. Streamed, each token becomes a
 * `chat.completion.chunk` (or a `text_completion` piece) and the stream ends with `finish_reason:
 * "stop"`; whole, the tokens become one `chat.completion`. `/v1/models` lists the model.
 * @module
 */
import type { Job } from '../types.ts'
import type { Answering } from './openai-shapes.ts'
import { chatChunk, chatCompletion, modelList, textCompletion } from './openai-shapes.ts'

/** A chat request, as OpenAI's `POST /v1/chat/completions` takes it. */
export interface ChatRequest {
  model?: string
  messages: Array<{ role: string; content: unknown; [key: string]: unknown }>
  stream?: boolean
  [key: string]: unknown
}

/** A completion request, as OpenAI's `POST /v1/completions` takes it. */
export interface CompletionRequest {
  model?: string
  prompt: unknown
  stream?: boolean
  [key: string]: unknown
}

/** Text tokens, one by one. */
export type Tokens = AsyncIterable<string> | Iterable<string>

/** Options of {@link openaiHandler}. */
export interface OpenAIHandlerOptions {
  /** The model the worker serves, in `/v1/models` and in every answer. */
  model: string
  /** Yields the assistant's answer to a chat, token by token. */
  chat?: ((request: ChatRequest, job: Job<OpenAIJobInput>) => Tokens) | undefined
  /** Yields the continuation of a prompt, token by token. */
  complete?: ((request: CompletionRequest, job: Job<OpenAIJobInput>) => Tokens) | undefined
}

/** The job input of an OpenAI-compatible route (RunPod's). */
export interface OpenAIJobInput {
  openai_route: string
  openai_input: Record<string, unknown>
}

/** A handler that answers the OpenAI-compatible routes from plain text tokens. */
export function openaiHandler(options: OpenAIHandlerOptions): (job: Job<OpenAIJobInput>) => unknown {
  if (typeof options?.model !== 'string' || options.model === '') throw new TypeError('edgepod: openaiHandler needs the model it serves: openaiHandler({ model, chat })')
  if (!options.chat && !options.complete) throw new TypeError('edgepod: openaiHandler needs chat(request) or complete(request), yielding text tokens')
  return (job) => {
    const { openai_route: route, openai_input: body } = job.input ?? ({} as OpenAIJobInput)
    const created = Math.floor(Date.now() / 1000)
    if (route === '/v1/models') return modelList([options.model], created)
    const chat = route === '/v1/chat/completions'
    const produce = chat ? options.chat : route === '/v1/completions' ? options.complete : undefined
    if (!produce) throw new Error(`edgepod: this worker does not serve ${String(route)}`)
    const answering: Answering = { id: `${chat ? 'chatcmpl' : 'cmpl'}-${job.id}`, created, model: typeof body?.['model'] === 'string' ? body['model'] : options.model }
    const tokens = produce(body as never, job)
    if (body?.['stream'] === true) return chat ? chatStream(answering, tokens) : completionStream(answering, tokens)
    return whole(answering, tokens, chat)
  }
}

async function* chatStream(answering: Answering, tokens: Tokens): AsyncGenerator<unknown> {
  yield chatChunk(answering, { role: 'assistant', content: '' }, null)
  for await (const token of tokens) yield chatChunk(answering, { content: String(token) }, null)
  yield chatChunk(answering, {}, 'stop')
}

async function* completionStream(answering: Answering, tokens: Tokens): AsyncGenerator<unknown> {
  for await (const token of tokens) yield textCompletion(answering, String(token), null)
  yield textCompletion(answering, '', 'stop')
}

async function whole(answering: Answering, tokens: Tokens, chat: boolean): Promise<unknown> {
  let text = ''
  let count = 0
  for await (const token of tokens) {
    text += String(token)
    count++
  }
  return chat ? chatCompletion(answering, text, count) : textCompletion(answering, text, 'stop', count)
}

/**
 * The objects OpenAI's API answers with, made from text tokens: `chat.completion.chunk` and
 * `chat.completion` for chat, `text_completion` for completions, the model list. What the
 * `openai` SDK and its peers read, so that a handler yielding plain text never builds them by hand.
 * @module
 */

/** What every answer of one request shares. */
export interface Answering {
  /** `chatcmpl-<job id>` or `cmpl-<job id>`. */
  id: string
  /** Seconds since the epoch, as OpenAI counts. */
  created: number
  model: string
}

/** One streamed piece of a chat: the assistant's role first, then text, then the end. */
export function chatChunk(answering: Answering, delta: { role?: 'assistant'; content?: string }, finishReason: 'stop' | null): unknown {
  return { ...base(answering, 'chat.completion.chunk'), choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] }
}

/** A whole chat answer. */
export function chatCompletion(answering: Answering, content: string, tokens: number): unknown {
  const message = { role: 'assistant', content, refusal: null }
  return { ...base(answering, 'chat.completion'), choices: [{ index: 0, message, logprobs: null, finish_reason: 'stop' }], usage: usageOf(tokens) }
}

/** One streamed piece of a completion, or the whole one. */
export function textCompletion(answering: Answering, text: string, finishReason: 'stop' | null, tokens?: number): unknown {
  const answer = { ...base(answering, 'text_completion'), choices: [{ index: 0, text, logprobs: null, finish_reason: finishReason }] }
  return tokens === undefined ? answer : { ...answer, usage: usageOf(tokens) }
}

/** The list `/v1/models` answers. */
export function modelList(models: readonly string[], created: number): unknown {
  return { object: 'list', data: models.map((id) => ({ id, object: 'model', created, owned_by: 'edgepod' })) }
}

function base(answering: Answering, object: string) {
  return { id: answering.id, object, created: answering.created, model: answering.model }
}

// Tokens are counted as the handler yielded them; the prompt's are not known here.
function usageOf(tokens: number) {
  return { prompt_tokens: 0, completion_tokens: tokens, total_tokens: tokens }
}

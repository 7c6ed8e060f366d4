// A language-model worker that the `openai` SDK (and any OpenAI-compatible client) talks to: its
// handler yields plain text tokens, and openaiHandler answers chat completions, completions and
// the model list in OpenAI's shapes, streamed or whole. A real worker would yield its model's
// tokens; this one echoes the last message, a word at a time.
//   npx edgepod dev examples/openai/worker.ts
//   then point the SDK at http://127.0.0.1:8000/openai/v1 (see the README, "Serving language models").
import { openaiHandler, serverless } from 'edgepod'

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export default serverless.start({
  handler: openaiHandler({
    model: 'echo-1',
    async *chat(request) {
      const said = String(request.messages.at(-1)?.content ?? '')
      for (const word of `You said: ${said}`.split(/(?<= )/)) {
        yield word
        await pause(20)
      }
    },
    async *complete(request) {
      for (const word of `${String(request.prompt)} and so on`.split(/(?<= )/)) {
        yield word
        await pause(20)
      }
    },
  }),
})

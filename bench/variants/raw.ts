/**
 * raw: a hand-written `ReadableStream` whose `pull()` awaits the generator's `next()` and enqueues
 * one encoded SSE event; `cancel()` returns the generator.
 * @module
 */
import { referenceWorker, sseHeaders } from './reference-routes.ts'

const encoder = new TextEncoder()

export default referenceWorker(
  (events) =>
    new Response(
      new ReadableStream<Uint8Array>({
        async pull(controller) {
          const step = await events.next()
          if (step.done) return controller.close()
          controller.enqueue(encoder.encode(`data: ${JSON.stringify(step.value)}\n\n`))
        },
        cancel() {
          void events.return(undefined)
        },
      }),
      { headers: sseHeaders }
    )
)

/**
 * raw-batched: raw, but after the awaited event each `pull()` goes on taking the events whose
 * `next()` settles within 4 microtasks (at most 256 events or 16 KB per chunk). A `next()` that is
 * not ready by then is carried to the next pull, so nothing ever waits for it.
 * @module
 */
import { referenceWorker, sseHeaders } from './reference-routes.ts'

const encoder = new TextEncoder()
const MAX_EVENTS = 256
const MAX_CHARS = 16 * 1024
const SETTLE_TURNS = 4

type Settled = { step: IteratorResult<unknown> } | { error: unknown }

export default referenceWorker((events) => {
  // A next() that was not ready within the turns: the next pull starts with it.
  let carried: Promise<Settled> | undefined
  const settle = (next: Promise<IteratorResult<unknown>>): Promise<Settled> =>
    next.then(
      (step) => ({ step }),
      (error: unknown) => ({ error })
    )
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const first = await (carried ?? settle(events.next()))
      carried = undefined
      if ('error' in first) throw first.error
      if (first.step.done) return controller.close()
      let text = `data: ${JSON.stringify(first.step.value)}\n\n`
      for (let count = 1; count < MAX_EVENTS && text.length < MAX_CHARS; count++) {
        let ready: Settled | undefined
        const pending = settle(events.next())
        void pending.then((settled) => (ready = settled))
        for (let turn = 0; turn < SETTLE_TURNS && ready === undefined; turn++) await undefined
        if (ready === undefined) {
          carried = pending
          break
        }
        if ('error' in ready) {
          controller.enqueue(encoder.encode(text))
          throw ready.error
        }
        if (ready.step.done) {
          controller.enqueue(encoder.encode(text))
          return controller.close()
        }
        text += `data: ${JSON.stringify(ready.step.value)}\n\n`
      }
      controller.enqueue(encoder.encode(text))
    },
    cancel() {
      void events.return(undefined)
    },
  })
  return new Response(stream, { headers: sseHeaders })
})

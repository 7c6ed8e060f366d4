// A token-streaming worker for Bun. `bun run examples/bun/worker.ts` serves its default export on
// $PORT (Bun's default 3000); examples/bun/server.ts serves the same worker on 8000 with `serve()`.
import { serverless } from 'edgepod'
import { forBun } from 'edgepod/bun'

/** A timer that ends early, with the abort reason, when the job is cancelled or its client left. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => (clearTimeout(timer), reject(signal.reason))
    const timer = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/** The worker: `count` tokens, `delay` ms apart. */
export const worker = serverless.start({
  handler: async function* (job) {
    const count: number = job.input?.count ?? 5
    for (let i = 0; i < count; i++) {
      if (i > 0) await sleep(job.input?.delay ?? 500, job.signal)
      yield `token ${i}`
    }
  },
  returnAggregateStream: true,
})

// `export default worker` runs too, but Bun would then cut streams quiet for 10 s and hand the
// handler its Server as `env`; forBun turns the idle limit off and passes Bun.env.
export default forBun(worker)

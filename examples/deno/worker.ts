// A token-streaming worker for Deno. `deno serve --allow-env examples/deno/worker.ts` serves its
// default export on port 8000; examples/deno/server.ts serves the same worker with `serve()`.
import { serverless } from 'edgepod'
import { forDeno } from 'edgepod/deno'

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

// `export default worker` runs too, but Deno would then hand the handler its connection info as
// `env`; forDeno passes the process environment (with --allow-env), where EDGEPOD_API_KEY lives.
export default forDeno(worker)

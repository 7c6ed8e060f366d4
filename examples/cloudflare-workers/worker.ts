// RunPod's "Asynchronous Handler" example as a Cloudflare Worker; the top-level wrangler.toml serves it.
//   curl -s localhost:8787/runsync -d '{"input":{"count":3,"delay":100}}'
import { serverless } from 'edgepod/cloudflare-workers'

/** The Worker's bindings: `[vars]` in wrangler.toml, KV namespaces, secrets... */
interface Env {
  TOKEN_PREFIX?: string
}

interface Input {
  count?: number
  delay?: number
}

/** A timer that ends early, with the abort reason, when the job is cancelled or times out. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => (clearTimeout(timer), reject(signal.reason))
    const timer = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

// Workers calls `fetch(request, env, ctx)`; edgepod passes `env` on as `job.env` and keeps the
// isolate alive with `ctx.waitUntil` until each job ends, so a `/run` job outlives its response.
export default serverless.start<Input, Env>({
  handler: async function* (job) {
    const prefix = job.env.TOKEN_PREFIX ?? 'token'
    for (let i = 0; i < (job.input?.count ?? 5); i++) {
      yield `${prefix} ${i}`
      await sleep(job.input?.delay ?? 1000, job.signal)
    }
  },
  returnAggregateStream: true,
})

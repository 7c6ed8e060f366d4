// The worker `npm start` serves: RunPod's "Asynchronous Handler" example, with input knobs.
//   curl -s localhost:8000/run -d '{"input":{"count":5,"delay":1000}}'
import { serverless } from 'edgepod'

/** A timer that ends early, with the abort reason, when the job is cancelled or times out. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => (clearTimeout(timer), reject(signal.reason))
    const timer = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

export default serverless.start({
  handler: async function* (job) {
    const count: number = job.input?.count ?? 5
    const delay: number = job.input?.delay ?? 1000
    for (let i = 0; i < count; i++) {
      yield `Generated async token output ${i}`
      await sleep(delay, job.signal)
    }
  },
  returnAggregateStream: true,
})

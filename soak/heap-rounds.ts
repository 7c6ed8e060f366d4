/**
 * Is memory left after a soak a leak, or code V8 compiled? Runs rounds of jobs in-process (half
 * `/run` with a tenth cancelled, half `POST /stream` read whole or left after one chunk), each
 * round's jobs expiring before the heap is collected and measured. A leak grows with the number
 * of jobs; compiled code does not. `node --expose-gc --import tsx soak/heap-rounds.ts`
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { serverless } from '../src/index.ts'

const worker = serverless.start<{ count: number }>({
  handler: async function* (job) {
    for (let i = 0; i < job.input.count; i++) {
      yield { i }
      await sleep(0)
    }
  },
  returnAggregateStream: true,
  concurrencyModifier: 2_000,
  // A reader that leaves cancels at once: the round ends without waiting out the grace.
  disconnectGrace: 0,
})
const post = (path: string, body?: unknown, headers?: Record<string, string>) =>
  worker.fetch(new Request(`http://soak.test${path}`, { method: 'POST', body: body === undefined ? undefined : JSON.stringify(body), headers }))
const body = { input: { count: 20 }, policy: { ttl: 200 } }

async function oneJob(k: number): Promise<void> {
  if (k % 2 === 0) {
    const { id } = (await (await post('/run', body)).json()) as { id: string }
    if (k % 10 === 0) await post(`/cancel/${id}`)
    return
  }
  const response = await post('/stream', body, { accept: 'text/event-stream' })
  if (k % 4 === 1) return void (await response.text())
  const reader = response.body!.getReader()
  await reader.read()
  await reader.cancel()
}

/** Runs `jobs` jobs, 500 at a time, waits for all of them to expire, and measures the heap. */
async function round(jobs: number): Promise<number> {
  for (let done = 0; done < jobs; done += 500) await Promise.all(Array.from({ length: 500 }, (_, k) => oneJob(k)))
  while (worker.engine.heldJobs > 0) await sleep(100)
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) throw new Error('run with node --expose-gc')
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(2)} MB`
const baseline = await round(2_000)
console.log(`baseline after 2,000 jobs: ${mb(baseline)}`)
for (const jobs of [10_000, 10_000, 30_000]) {
  const heap = await round(jobs)
  console.log(`after ${jobs.toLocaleString('en')} more jobs: ${mb(heap)} (${heap >= baseline ? '+' : ''}${mb(heap - baseline)})`)
}

/**
 * What one ended `/runsync` job holds while it is kept (a minute by default): 20,000 of the
 * benchmark's 5-yield jobs through the worker's `fetch`, 10 at a time, in process; the JavaScript
 * heap after a full collection, before and after, per job. It needs a collection it can ask for:
 * `node --expose-gc --import tsx bench/micro/kept-job.ts`, `bun bench/micro/kept-job.ts`,
 * `deno run --v8-flags=--expose-gc bench/micro/kept-job.ts`. bench/RESULTS.md, "Per-job cost,
 * fourth round".
 * @module
 */
import { serverless } from '../../src/index.ts'
import { edgepodWorker } from '../variants/edgepod-worker.ts'

const JOBS = 20_000
const AT_ONCE = 10

const runtime = globalThis as {
  gc?: () => void
  Bun?: { gc(force: boolean): void }
  process?: { memoryUsage(): { heapUsed: number }; exit(code: number): void }
  Deno?: { memoryUsage(): { heapUsed: number }; exit(code: number): void }
}

/** Bytes of live JavaScript heap after a full collection. */
function heapAfterCollection(): number {
  if (runtime.gc) runtime.gc()
  else if (runtime.Bun) runtime.Bun.gc(true)
  else throw new Error('no collection to ask for: run Node with --expose-gc, Deno with --v8-flags=--expose-gc')
  return (runtime.Deno ?? runtime.process)!.memoryUsage().heapUsed
}

const worker = edgepodWorker(serverless)
const body = JSON.stringify({ input: { n: 5, tick: 0 } })

async function runJobs(count: number): Promise<void> {
  let next = 0
  const runOne = async () => {
    while (next++ < count) {
      const response = await worker.fetch(new Request('http://bench/runsync', { method: 'POST', body, headers: { 'content-type': 'application/json' } }))
      if (response.status !== 200) throw new Error(`/runsync answered ${response.status}: ${await response.text()}`)
      await response.text()
    }
  }
  await Promise.all(Array.from({ length: AT_ONCE }, runOne))
}

// A warm-up first, so that what the code itself allocates once is not counted per job.
await runJobs(2_000)
const before = heapAfterCollection()
await runJobs(JOBS)
const after = heapAfterCollection()
console.log(`${((after - before) / JOBS).toFixed(0)} bytes of heap per kept /runsync job (${JOBS} jobs)`)
// The kept jobs' deadline timer would hold the process for the minute they are kept.
;(runtime.Deno ?? runtime.process)?.exit(0)

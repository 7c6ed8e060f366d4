/**
 * The soak's worker: token streams paced by timers, honouring `job.signal`, and beside edgepod's
 * routes one of its own, `GET /__soak/stats`, that collects garbage and reports what the process
 * holds (heap, jobs, timers, sockets), so the soak can show memory going back to its baseline.
 * Its store comes from the environment: in a fleet soak, `EDGEPOD_REDIS_URL` makes it a member.
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { serverless } from '../src/index.ts'
import type { HealthReport } from '../src/index.ts'

/** A soak job's input: `count` outputs `{ i }`, a pause of `pauseMs` after each. */
export interface SoakInput {
  count: number
  pauseMs: number
}

/** What `GET /__soak/stats` answers. */
export interface SoakStats {
  heapUsed: number
  rss: number
  /** Jobs the engine holds, of any status (until their ttl). */
  heldJobs: number
  /** Webhook deliveries under way, retries included: each holds a timer while it waits to retry. */
  webhooksUnderWay: number
  health: HealthReport
  /** Node's active handles and requests by type (`Timeout`, `TCPSocketWrap`, ...). */
  resources: Record<string, number>
}

/** Streams run beside the storm's jobs: enough slots for every stream and a few more. */
export const SOAK_CONCURRENCY = Number(process.env['SOAK_CONCURRENCY'] ?? 1_050)
export const SOAK_MAX_QUEUE = Number(process.env['SOAK_MAX_QUEUE'] ?? 1_000)
/** A fleet soak names each member, so that a `worker_lost` job shows which one it lost. */
const SOAK_WORKER_ID = process.env['SOAK_WORKER_ID']

const worker = serverless.start<SoakInput>({
  handler: async function* (job) {
    for (let i = 0; i < job.input.count; i++) {
      yield { i }
      if (job.input.pauseMs > 0) await sleep(job.input.pauseMs, undefined, { signal: job.signal })
    }
  },
  returnAggregateStream: true,
  concurrencyModifier: SOAK_CONCURRENCY,
  maxQueue: SOAK_MAX_QUEUE,
  workerId: SOAK_WORKER_ID,
})

async function stats(): Promise<SoakStats> {
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) throw new Error('the soak host runs with --expose-gc')
  gc()
  gc()
  const resources: Record<string, number> = {}
  for (const type of process.getActiveResourcesInfo()) resources[type] = (resources[type] ?? 0) + 1
  const { heapUsed, rss } = process.memoryUsage()
  const { engine } = worker
  return { heapUsed, rss, heldJobs: engine.heldJobs, webhooksUnderWay: engine.webhooksUnderWay, health: await engine.health(), resources }
}

export default {
  fetch(request: Request): Response | Promise<Response> {
    if (new URL(request.url).pathname === '/__soak/stats') return stats().then((current) => Response.json(current))
    return worker.fetch(request)
  },
}

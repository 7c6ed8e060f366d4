/**
 * `POST /runsync` of a 5-yield handler under autocannon, 10 connections: requests per second and
 * latency. The references answer from a hand-written JSON route running the same generator.
 * @module
 */
import autocannon from 'autocannon'
import { processTree, startCpuMeter } from '../lib/proc.ts'
import type { Metric } from './metric.ts'

/**
 * `POST /runsync` of the 5-yield job from 10 connections for `duration` s; throws when a request
 * failed, so no figure is made of errors. `what` names the metric in that error.
 */
export async function runsyncLoad(url: string, duration: number, what: string): Promise<autocannon.Result> {
  const result = await autocannon({
    url: `${url}/runsync`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ input: { n: 5, tick: 0 } }),
    connections: 10,
    duration,
  })
  if (result.errors > 0 || result.non2xx > 0) throw new Error(`${what}: ${result.errors} errors and ${result.non2xx} non-2xx answers`)
  return result
}

/** @see module */
export const runsync: Metric = {
  name: 'runsync',
  async run({ url, pid, quick }) {
    const duration = quick ? 1 : 5
    const cpu = startCpuMeter(processTree(pid))
    const result = await runsyncLoad(url, duration, 'runsync')
    const { serverSeconds, clientSeconds } = cpu()
    return {
      requestsPerSecond: result.requests.total / duration,
      p50: result.latency.p50,
      p99: result.latency.p99,
      serverCpuPercent: (100 * serverSeconds) / duration,
      clientCpuPercent: (100 * clientSeconds) / duration,
    }
  },
}

/**
 * `POST /runsync` of a 5-yield handler under autocannon, 10 connections: requests per second and
 * latency. The references answer from a hand-written JSON route running the same generator.
 * @module
 */
import autocannon from 'autocannon'
import { processTree, treeCpuSeconds } from '../lib/proc.ts'
import type { Metric } from './metric.ts'

/** @see module */
export const runsync: Metric = {
  name: 'runsync',
  async run({ url, pid, quick }) {
    const duration = quick ? 1 : 5
    const tree = processTree(pid)
    const serverCpu = treeCpuSeconds(tree)
    const clientCpu = process.cpuUsage()
    const result = await autocannon({
      url: `${url}/runsync`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input: { n: 5, tick: 0 } }),
      connections: 10,
      duration,
    })
    if (result.errors > 0 || result.non2xx > 0) {
      throw new Error(`runsync: ${result.errors} errors and ${result.non2xx} non-2xx answers`)
    }
    const client = process.cpuUsage(clientCpu)
    return {
      requestsPerSecond: result.requests.total / duration,
      p50: result.latency.p50,
      p99: result.latency.p99,
      serverCpuPercent: (100 * (treeCpuSeconds(tree) - serverCpu)) / duration,
      clientCpuPercent: (100 * (client.user + client.system)) / 1e6 / duration,
    }
  },
}

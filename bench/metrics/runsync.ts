/**
 * `POST /runsync` of a 5-yield handler under autocannon, 10 connections: requests per second and
 * latency. The references answer from a hand-written JSON route running the same generator.
 *
 * The latency percentiles are taken from every answer's own time, to the microsecond: autocannon's
 * histogram keeps whole milliseconds, and a route that answers in a fraction of one had a p99 of 0,
 * which no ratio can be made against.
 * @module
 */
import autocannon from 'autocannon'
import { processTree, startCpuMeter } from '../lib/proc.ts'
import { percentile } from '../lib/stats.ts'
import type { Metric } from './metric.ts'

/**
 * `POST /runsync` of the 5-yield job from 10 connections for `duration` s; throws when a request
 * failed, so no figure is made of errors. `what` names the metric in that error. `onAnswer`, when
 * given, is called with each 2xx answer's time, ms, as autocannon measured it (not rounded).
 */
export async function runsyncLoad(url: string, duration: number, what: string, onAnswer?: (ms: number) => void): Promise<autocannon.Result> {
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${url}/runsync`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ input: { n: 5, tick: 0 } }),
        connections: 10,
        duration,
      },
      (error, finished) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(finished))
    )
    if (onAnswer) {
      instance.on('response', (_client, statusCode, _bytes, ms) => {
        if (statusCode >= 200 && statusCode < 300) onAnswer(ms)
      })
    }
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
    const times: number[] = []
    const result = await runsyncLoad(url, duration, 'runsync', (ms) => times.push(ms))
    const { serverSeconds, clientSeconds } = cpu()
    return {
      requestsPerSecond: result.requests.total / duration,
      p50: percentile(times, 50),
      p99: percentile(times, 99),
      serverCpuPercent: (100 * serverSeconds) / duration,
      clientCpuPercent: (100 * clientSeconds) / duration,
    }
  },
}

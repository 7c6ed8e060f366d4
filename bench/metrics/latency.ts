/**
 * First-event latency: 200 sequential one-event streams on one keep-alive connection, the time
 * from sending each request to its first workload event.
 * @module
 */
import { oneConnection, readStream } from '../lib/http.ts'
import { median, percentile } from '../lib/stats.ts'
import type { Metric } from './metric.ts'

/** @see module */
export const latency: Metric = {
  name: 'latency',
  async run({ url, variant, quick }) {
    const agent = oneConnection()
    const times: number[] = []
    try {
      for (let request = 0; request < (quick ? 50 : 200); request++) {
        const reading = await readStream(url, variant, { n: 1, tick: 0 }, { agent })
        if (reading.events !== 1) throw new Error(`latency: ${reading.events} events instead of 1`)
        times.push(reading.firstEventMs)
      }
    } finally {
      agent.destroy()
    }
    return { p50: median(times), p90: percentile(times, 90), p99: percentile(times, 99) }
  },
}

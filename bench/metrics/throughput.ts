/**
 * One stream of 200,000 events, read whole: events per second, and per CPU-second of the server.
 * @module
 */
import { readStream } from '../lib/http.ts'
import { processTree, startCpuMeter } from '../lib/proc.ts'
import type { Metric } from './metric.ts'

/** @see module */
export const throughput: Metric = {
  name: 'throughput',
  async run({ url, pid, variant, quick }) {
    const n = quick ? 20_000 : 200_000
    const cpu = startCpuMeter(processTree(pid))
    const started = performance.now()
    const reading = await readStream(url, variant, { n, tick: 0 })
    const seconds = (performance.now() - started) / 1000
    if (reading.events !== n) throw new Error(`throughput: ${reading.events} events arrived of ${n}`)
    const { serverSeconds, clientSeconds } = cpu()
    return {
      eventsPerSecond: n / seconds,
      eventsPerServerCpuSecond: n / serverSeconds,
      serverCpuPercent: (100 * serverSeconds) / seconds,
      clientCpuPercent: (100 * clientSeconds) / seconds,
      bytesPerEvent: reading.bytes / n,
    }
  },
}

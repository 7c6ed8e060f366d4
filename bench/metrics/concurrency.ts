/**
 * 1,000 open streams of 50 events, one every 100 ms: how much the server's memory grows, and
 * whether every event arrived.
 * @module
 */
import { readStream } from '../lib/http.ts'
import { processTree, sampleRss, treeRss } from '../lib/proc.ts'
import { wallClock } from '../workload.ts'
import type { Metric } from './metric.ts'

const EVENTS = 50

/** @see module */
export const concurrency: Metric = {
  name: 'concurrency',
  async run({ url, pid, variant, quick }) {
    const streams = quick ? 100 : 1_000
    const tree = processTree(pid)
    const baseline = treeRss(tree)
    const sampler = sampleRss(tree)
    const started = wallClock()
    const readings = await Promise.all(
      Array.from({ length: streams }, () => readStream(url, variant, { n: EVENTS, tick: 100 }))
    )
    const peak = sampler.stop()
    const complete = readings.filter((reading) => reading.events === EVENTS).length
    return {
      growthMB: (peak - baseline) / 2 ** 20,
      kbPerStream: (peak - baseline) / 1024 / streams,
      baselineMB: baseline / 2 ** 20,
      allArrived: complete === streams ? 1 : 0,
      slowestSeconds: Math.max(...readings.map((reading) => reading.endedAt - started)) / 1000,
    }
  },
}

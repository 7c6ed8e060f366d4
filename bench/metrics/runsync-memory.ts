/**
 * `POST /runsync` under a sustained load (autocannon, 10 connections, 5 minutes; `--quick`: 10 s),
 * with the server's RSS sampled every 5 s: whether memory is flat once the retention window (1 min
 * for `/runsync` results) is full, and what one retained job costs. Opt-in (`--metrics
 * runsync-memory`): five minutes a repetition is more than a default run should take.
 * @module
 */
import { processTree, treeRss } from '../lib/proc.ts'
import { runsyncLoad } from './runsync.ts'
import type { Metric } from './metric.ts'

/** How long a `/runsync` result is kept after its end (edgepod's default `syncResultRetention`), s. */
const RETENTION_S = 60

/** @see module */
export const runsyncMemory: Metric = {
  name: 'runsync-memory',
  optIn: true,
  async run({ url, pid, quick }) {
    const duration = quick ? 10 : 300
    const tree = processTree(pid)
    const before = treeRss(tree)
    const samples: { at: number; rss: number }[] = []
    const started = Date.now()
    const timer = setInterval(() => samples.push({ at: (Date.now() - started) / 1000, rss: treeRss(tree) }), 5_000)
    const result = await runsyncLoad(url, duration, 'runsync-memory').finally(() => clearInterval(timer))
    const rate = result.requests.total / duration
    const end = samples.at(-1)?.rss ?? treeRss(tree)
    // Flat: the last minute's samples (after the window filled) spread no wider than this.
    const lastMinute = samples.filter((sample) => sample.at >= duration - 60 && sample.at >= RETENTION_S + 15).map((sample) => sample.rss)
    const MB = 1024 * 1024
    return {
      requestsPerSecond: rate,
      p99: result.latency.p99,
      maxLatency: result.latency.max,
      rssBeforeMB: before / MB,
      rssEndMB: end / MB,
      lastMinuteSpreadMB: lastMinute.length > 1 ? (Math.max(...lastMinute) - Math.min(...lastMinute)) / MB : NaN,
      // The jobs a full window holds: a minute of them at the rate served.
      retainedBytesPerJob: duration > RETENTION_S ? (end - before) / (rate * RETENTION_S) : NaN,
    }
  },
}

/**
 * 100 streams at once (`POST /stream`), in two rounds. Hot: 1,000 events each with no wait between
 * them, read whole; events per second over all of them (from the first request to the last end),
 * per server CPU-second, and each stream's first-event time, as `throughput` and `latency` measure
 * one stream. Paced: 50 events each, one every 20 ms, each stamped with the wall clock at its
 * yield; each event's delay from its yield to its reader, and the server's RSS growth, as
 * `concurrency` measures 1,000 streams. edgepod's variants only (the references do not stamp).
 * @module
 */
import type { VariantName } from '../hosts/load-variant.ts'
import { edgepodVariants } from '../hosts/load-variant.ts'
import { readStream, send, streamTargetOf, textOf } from '../lib/http.ts'
import { processTree, sampleRss, startCpuMeter, treeRss } from '../lib/proc.ts'
import { readArrivals, sseDataOf } from '../lib/sse-data.ts'
import { median, percentile } from '../lib/stats.ts'
import type { WorkloadEvent, WorkloadParams } from '../workload.ts'
import { wallClock } from '../workload.ts'
import type { Metric } from './metric.ts'

const STREAMS = 100
const HOT_EVENTS = 1_000
const PACED_EVENTS = 50
const PACED_TICK_MS = 20

/** Reads a stream of stamped events whole; gives each event's delay from its yield to its arrival, ms. */
async function readStamped(url: string, variant: VariantName, params: WorkloadParams): Promise<number[]> {
  const response = await send(url, streamTargetOf(variant, { ...params, stamp: 'every' }))
  if (response.statusCode !== 200) throw new Error(`concurrent-streams: HTTP ${response.statusCode} ${await textOf(response)}`)
  const delays: number[] = []
  let arrived = 0
  const onText = sseDataOf((data) => {
    const event = JSON.parse(data) as WorkloadEvent
    // The done event has no stamp.
    if (event.at !== undefined) delays.push(arrived - event.at)
  })
  await readArrivals(response, wallClock, (text, at) => {
    arrived = at
    onText(text)
  })
  return delays
}

/** @see module */
export const concurrentStreams: Metric = {
  name: 'concurrent-streams',
  variants: edgepodVariants,
  async run({ url, pid, variant, quick }) {
    const streams = quick ? 20 : STREAMS
    const tree = processTree(pid)

    const cpu = startCpuMeter(tree)
    const started = wallClock()
    const hot = await Promise.all(Array.from({ length: streams }, () => readStream(url, variant, { n: HOT_EVENTS, tick: 0 })))
    const hotSeconds = (wallClock() - started) / 1000
    const { serverSeconds } = cpu()
    const events = hot.reduce((sum, reading) => sum + reading.events, 0)
    if (events !== streams * HOT_EVENTS) throw new Error(`concurrent-streams: ${events} events arrived of ${streams * HOT_EVENTS}`)
    const firstEvents = hot.map((reading) => reading.firstEventMs)

    const baseline = treeRss(tree)
    const sampler = sampleRss(tree)
    const paced = await Promise.all(Array.from({ length: streams }, () => readStamped(url, variant, { n: PACED_EVENTS, tick: PACED_TICK_MS })))
    const peak = sampler.stop()
    const delays = paced.flat()
    if (delays.length !== streams * PACED_EVENTS) throw new Error(`concurrent-streams: ${delays.length} paced events arrived of ${streams * PACED_EVENTS}`)
    return {
      eventsPerSecond: events / hotSeconds,
      eventsPerServerCpuSecond: events / serverSeconds,
      firstEventP50: median(firstEvents),
      firstEventP99: percentile(firstEvents, 99),
      hotSeconds,
      delayP50: median(delays),
      delayP99: percentile(delays, 99),
      growthMB: (peak - baseline) / 2 ** 20,
    }
  },
}

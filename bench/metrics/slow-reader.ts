/**
 * A reader 10x slower than the handler: the handler yields 1 KB events every millisecond for 4 s
 * (about 4 MB); the reader takes 100 KB a second. How far does the server's memory grow while
 * the handler runs, against what the handler produced?
 * @module
 */
import { probeOf, send, streamTargetOf } from '../lib/http.ts'
import { processTree, sampleRss, treeRss } from '../lib/proc.ts'
import type { Metric } from './metric.ts'

const EVENT_BYTES = 1_024
const READ_BYTES_PER_SECOND = 100 * 1_024
const READ_EVERY_MS = 50

/** @see module */
export const slowReader: Metric = {
  name: 'slow-reader',
  async run({ url, pid, variant, quick }) {
    const seconds = quick ? 1 : 4
    const probe = `slow${Math.random().toString(36).slice(2)}`
    const tree = processTree(pid)
    const baseline = treeRss(tree)
    const sampler = sampleRss(tree)
    const response = await send(url, streamTargetOf(variant, { n: seconds * 1_000, tick: 1, pad: EVENT_BYTES, probe }))
    response.pause()
    let read = 0
    const reader = setInterval(() => {
      // read(size) takes exactly that much from the buffer (and asks the socket for more).
      const size = Math.min((READ_BYTES_PER_SECOND * READ_EVERY_MS) / 1000, response.readableLength)
      if (size > 0) read += (response.read(size) as Buffer).length
      else response.read(0)
    }, READ_EVERY_MS)
    await new Promise((resolve) => setTimeout(resolve, seconds * 1_000 + 500))
    clearInterval(reader)
    const peak = sampler.stop()
    response.destroy()
    const record = (await probeOf(url, probe))!
    const producedMB = (record.events * (EVENT_BYTES + 20)) / 2 ** 20
    return {
      producedMB,
      readMB: read / 2 ** 20,
      growthMB: (peak - baseline) / 2 ** 20,
      growthPerProducedMB: (peak - baseline) / 2 ** 20 / producedMB,
    }
  },
}

/**
 * Disconnect to `finally`: a client reads 10 events of an endless generator and destroys its
 * socket; the generator's probe says when its `finally` ran. Token-like (an event every 10 ms) and
 * hot (no wait between events).
 * @module
 */
import { Agent } from 'node:http'
import { probeOf, readStream } from '../lib/http.ts'
import type { Figures, Metric } from './metric.ts'

/** Longer than the workload's safety cap, so "never" is told apart from "capped". */
const GIVE_UP_MS = 2_500

/** One try: ms from the disconnect to `finally` (Infinity if it never ran or the cap ran it). */
async function tryOnce(url: string, variant: Parameters<typeof readStream>[1], tick: number, agent: Agent) {
  const probe = `p${Math.random().toString(36).slice(2)}`
  const reading = await readStream(url, variant, { n: 0, tick, probe }, { disconnectAfter: 10 })
  const deadline = performance.now() + GIVE_UP_MS
  for (;;) {
    const record = await probeOf(url, probe, agent)
    if (record?.finallyAt != null) {
      return { ms: record.capped ? Infinity : record.finallyAt - reading.endedAt, events: record.events }
    }
    if (performance.now() > deadline) return { ms: Infinity, events: record?.events ?? 0 }
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}

/** @see module */
export const cancel: Metric = {
  name: 'cancel',
  async run({ url, variant, quick }) {
    const tries = quick ? 2 : 5
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const figures: Figures = {}
    try {
      for (const [label, tick] of [['token', 10], ['hot', 0]] as const) {
        const results = []
        for (let attempt = 0; attempt < tries; attempt++) results.push(await tryOnce(url, variant, tick, agent))
        const finite = results.map((result) => result.ms).filter(Number.isFinite).sort((a, b) => a - b)
        figures[`${label}Within20ms`] = results.filter((result) => result.ms <= 20).length / tries
        figures[`${label}Within1s`] = results.filter((result) => result.ms <= 1_000).length / tries
        figures[`${label}MedianMs`] = finite.length ? finite[finite.length >> 1]! : NaN
        figures[`${label}MaxMs`] = finite.length === tries ? finite[finite.length - 1]! : Infinity
        figures[`${label}Events`] = results.map((result) => result.events).sort((a, b) => a - b)[tries >> 1]!
      }
    } finally {
      agent.destroy()
    }
    return figures
  },
}

/**
 * What `Deadlines` (src/engine/deadlines.ts) costs a job as it holds more of them: with `held`
 * deadlines set, 300,000 times a new one is set after the others and the oldest cleared, as the
 * retention of `/runsync` results does; µs per pair. `node --import tsx bench/micro/deadlines.ts`,
 * or with Bun. bench/RESULTS.md, "Per-job cost, third round".
 * @module
 */
import { Deadlines } from '../../src/engine/deadlines.ts'

const PAIRS = 300_000

for (const held of [10, 100_000, 1_000_000]) {
  // One timer for all, as on Node, Bun and Deno; far in the future, so none fires.
  const deadlines = new Deadlines<string, number>(() => {}, false)
  const keys: string[] = []
  let at = Date.now() + 1e9
  for (let i = 0; i < held; i++) {
    const key = crypto.randomUUID()
    deadlines.set(key, at++, 0)
    keys.push(key)
  }
  const fresh = Array.from({ length: PAIRS }, () => crypto.randomUUID())
  let oldest = 0
  const started = performance.now()
  for (const key of fresh) {
    deadlines.set(key, at++, 0)
    keys.push(key)
    deadlines.delete(keys[oldest++]!)
  }
  console.log(`${held} held: ${(((performance.now() - started) / PAIRS) * 1000).toFixed(3)} µs to set one and clear the oldest`)
}
// The deadlines' one timer is unref'd where timers can be (Node, Bun); end here all the same.
;(globalThis as { process?: { exit(code: number): void } }).process?.exit(0)

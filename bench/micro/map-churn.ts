/**
 * What a long-lived `Map` with few entries and many coming and going costs the young-generation
 * collector on V8, against a plain array holding the same objects: 3,000,000 keys set and deleted,
 * never more than 20 at once. The `Map`'s table is first kept through two collections, as a
 * worker's maps are kept for its life; only the churn is measured. Node only (it reads the
 * collector's pauses from `perf_hooks`): `node --import tsx bench/micro/map-churn.ts`.
 * bench/RESULTS.md, "Per-job cost, fourth round".
 * @module
 */
import { PerformanceObserver, constants } from 'node:perf_hooks'

const KEYS = 3_000_000

/** Milliseconds the young collector paused while `run` ran, how many times, and how long `run` took. */
async function youngPauses(run: () => void): Promise<{ ms: number; count: number; elapsed: number }> {
  let ms = 0
  let count = 0
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if ((entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind !== constants.NODE_PERFORMANCE_GC_MINOR) continue
      ms += entry.duration
      count++
    }
  })
  observer.observe({ entryTypes: ['gc'] })
  const started = performance.now()
  run()
  const elapsed = performance.now() - started
  // The entries of the last collections are delivered a turn later.
  await new Promise((resolve) => setTimeout(resolve, 50))
  observer.disconnect()
  return { ms, count, elapsed }
}

/** Where {@link promote} stores its garbage, so that the compiler cannot leave it unmade. */
const holder: { last: unknown } = { last: undefined }

/** Allocates through two young collections, so that what is alive now is promoted. */
function promote(): void {
  for (let i = 0; i < 2_000_000; i++) holder.last = { i }
}

/** A `Map` whose table is old, and the loop that sets and deletes its keys. */
function churnMap(): () => void {
  const map = new Map<string, { id: string }>()
  for (let i = 0; i < 10; i++) map.set(`warm ${i}`, { id: `warm ${i}` })
  promote()
  for (let i = 0; i < 10; i++) map.delete(`warm ${i}`)
  return () => {
    const queue: string[] = []
    for (let i = 0; i < KEYS; i++) {
      const id = `job ${i}`
      map.set(id, { id })
      queue.push(id)
      while (queue.length > i % 20) map.delete(queue.shift()!)
    }
  }
}

/** An old array, and the loop that adds and drops the same objects in it. */
function churnArray(): () => void {
  const queue: { id: string }[] = []
  for (let i = 0; i < 10; i++) queue.push({ id: `warm ${i}` })
  promote()
  queue.length = 0
  return () => {
    for (let i = 0; i < KEYS; i++) {
      queue.push({ id: `job ${i}` })
      while (queue.length > i % 20) queue.shift()
    }
  }
}

for (const [name, setUp] of [
  ['Map', churnMap],
  ['array', churnArray],
] as const) {
  const { ms, count, elapsed } = await youngPauses(setUp())
  console.log(`${name}: ${elapsed.toFixed(0)} ms, of which ${ms.toFixed(0)} ms in ${count} young collections (${(ms / count).toFixed(2)} ms each)`)
}

/**
 * What one timer costs where it runs: `setTimeout`, `unref` (where there is one) and
 * `clearTimeout`, 200,000 times, three rounds; µs per timer. Runs as it is on every runtime:
 * `node --import tsx bench/micro/timers.ts`, `bun bench/micro/timers.ts`,
 * `deno run bench/micro/timers.ts`. bench/RESULTS.md, "Per-job cost, third round".
 * @module
 */
const TIMERS = 200_000

for (let round = 1; round <= 3; round++) {
  const started = performance.now()
  for (let i = 0; i < TIMERS; i++) {
    const timer = setTimeout(() => {}, 600_000) as unknown as { unref?: () => void }
    timer.unref?.()
    clearTimeout(timer as Parameters<typeof clearTimeout>[0])
  }
  console.log(`round ${round}: ${(((performance.now() - started) / TIMERS) * 1000).toFixed(3)} µs per timer`)
}

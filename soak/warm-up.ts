/**
 * The soak's warm-up, the same for one server and for a fleet: short streams and a small `/run`
 * storm for a few seconds, so that what is measured after starts warm, then waits until every job
 * has ended and every webhook of the warm-up's storm has landed (the worker would otherwise still
 * be retrying them, a timer each, when the baseline is taken).
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { SoakOptions } from './options.ts'
import { streamLoop } from './streams.ts'
import { settleStorm, storm, StormBook, webhookReceiver } from './storm.ts'
import type { Tally } from './tally.ts'
import type { Targets } from './targets.ts'

/** Warms `targets` up, counting in `warm`; resolves once the warm-up's jobs are idle (`untilIdle`) and its webhooks in. */
export async function warmUp(
  targets: Targets,
  options: Pick<SoakOptions, 'streamPlan' | 'stormPlan' | 'warmup'>,
  warm: Tally,
  random: () => number,
  untilIdle: () => Promise<unknown>
): Promise<void> {
  let warming = true
  const streams = Array.from({ length: 50 }, () =>
    streamLoop(targets, { ...options.streamPlan, input: { count: 20, pauseMs: 1 }, ttl: 1_000 }, warm, random, () => !warming)
  )
  const book = new StormBook({ ...options.stormPlan, input: { count: 5, pauseMs: 1 }, ttl: 1_000 }, warm)
  const receiver = await webhookReceiver(book)
  const stormed = storm(targets, receiver.url, book, random, () => !warming)
  await sleep(1_000 * options.warmup)
  warming = false
  await Promise.all([...streams, stormed])
  await untilIdle()
  await settleStorm(targets, book, 30_000)
  receiver.close()
}

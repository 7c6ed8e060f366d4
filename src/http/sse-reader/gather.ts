/**
 * Waiting a little for more: a producer yielding values already at hand appends one every few
 * microtask turns, and its events are best taken into one chunk while they keep coming. A reader
 * as fast as its producer (Bun's, or any one keeping up) would otherwise write a chunk, and wait,
 * for every event or two.
 * @module
 */
import type { NewsWatch } from './news-watch.ts'

/** Microtask turns a reader waits for more events before it sends what it has. */
export const GATHER_TURNS = 8

/**
 * The most turns one wait lasts: while the log keeps growing, each wait doubles up to it, so a
 * producer at full speed is read a few dozen events at a time, not one read an event.
 */
export const MAX_GATHER_TURNS = 64

/**
 * Waits `turns` microtask turns and answers whether the log had news after `cursor` in them;
 * false at once when the stream closes. It lets the turns run out even once news came, so that
 * one read then takes everything the producer appended meanwhile.
 */
export async function appendedSoon(watch: NewsWatch, cursor: number, turns = GATHER_TURNS): Promise<boolean> {
  watch.begin(cursor)
  try {
    for (let turn = 0; turn < turns; turn++) {
      await undefined
      if (watch.closed) return false
    }
    return watch.news
  } finally {
    watch.end()
  }
}

/**
 * A job's `job.log` lines as `/status/:id?logs=1` shows them: the current attempt's most recent
 * ones, read from its log in pages so that a long stream is never held in memory at once, and a
 * count of the older ones left out.
 * @module
 */
import type { JobStore } from '../store/store.ts'
import type { JobState } from '../store/job-state.ts'

/** How much of the log one read takes, in characters of JSON. */
const PAGE_CHARS = 1_000_000

/**
 * The `"logs":[…]` members of `job`'s status object: its `max` most recent log lines, oldest first,
 * each its `log` event's data with `"seq"` added, then `"logsDropped":k` when `k` older ones were
 * left out. Reads the log up to where it was at the first read: a line logged meanwhile is the next
 * read's. `pageChars` is how much one read of the log takes.
 */
export async function recentLogsJson(jobs: JobStore, job: JobState, max: number, pageChars = PAGE_CHARS): Promise<string> {
  const kept: string[] = []
  let total = 0
  let after = job.attempt.baseSeq
  let until: number | undefined
  for (;;) {
    const read = await jobs.read(job.id, after, pageChars)
    // Gone, or retried since: a read of another attempt is not this one's lines.
    if (!read || read.jsons.length === 0 || read.first !== after + 1) break
    until ??= read.lastSeq
    const { types, jsons, first } = read
    for (let index = 0; index < jsons.length && first + index <= until; index++) {
      if (types[index] !== 'log') continue
      total++
      kept.push(`${jsons[index]!.slice(0, -1)},"seq":${first + index}}`)
      // Trimmed now and then, not at every line: the kept list stays under twice `max`.
      if (kept.length >= 2 * max) kept.splice(0, kept.length - max)
    }
    after = first + jsons.length - 1
    if (after >= until) break
  }
  const shown = kept.slice(Math.max(0, kept.length - max))
  const dropped = total - shown.length
  return `"logs":[${shown.join(',')}]${dropped > 0 ? `,"logsDropped":${dropped}` : ''}`
}

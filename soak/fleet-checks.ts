/**
 * A fleet soak's check of each stream job at its `done`: its status, asked of another member than
 * the one that streamed the end, must say what the reader saw. A COMPLETED job holds every output in
 * order; a job whose member the soak killed ends `FAILED` with `worker_lost` and keeps exactly the
 * outputs its reader saw (none lost with the member, none its reader missed); anything else is a
 * lost job.
 * @module
 */
import { textOf } from '../bench/lib/http.ts'
import { sendElsewhere } from './kill-cuts.ts'
import type { Progress } from './streams.ts'
import type { Tally } from './tally.ts'
import { fail, jsonOf } from './tally.ts'
import type { Targets } from './targets.ts'

/** The parts of a status object the checks read. */
export interface StatusObject {
  id: string
  status: string
  output?: { i: number }[]
  errorDetail?: { code?: string }
  workerId?: string
}

/** Whether `output` is `{ i: 0 }`, `{ i: 1 }`, ... in order. */
export function inOrder(output: { i: number }[]): boolean {
  return output.every((value, index) => value.i === index)
}

/** Checks a stream job whose reader saw `done` with `doneStatus` (at `url`) against its `/status`. */
export async function checkStreamEnd(targets: Targets, url: string, jobId: string, doneStatus: string, progress: Progress, tally: Tally): Promise<void> {
  const fleet = tally.fleet!
  const doneAt = Date.now()
  const asked = await sendElsewhere(targets, tally, url, { method: 'GET', path: `/status/${jobId}` })
  if (asked instanceof Error) return fail(tally, 'failedRequests', `${jobId}: /status: ${asked.message}`)
  if (asked.response.statusCode !== 200) {
    return fail(tally, 'lostJobs', `${jobId}: /status answered ${asked.response.statusCode} ${(await textOf(asked.response)).slice(0, 100)}`)
  }
  const status = await jsonOf<StatusObject>(asked.response)
  fleet.statusChecks++
  const output = status.output ?? []
  const count = progress.seen.length
  const unseen = (from: number, to: number) => progress.seen.subarray(from, to).reduce((sum, seen) => sum + (seen ? 0 : 1), 0)
  if (status.status !== doneStatus) return fail(tally, 'lostJobs', `${jobId}: done said ${doneStatus}, /status says ${status.status}`)
  if (status.status === 'COMPLETED') {
    if (unseen(0, count) > 0) fail(tally, 'lostOutputs', `${jobId}: ${unseen(0, count)} outputs never arrived`, unseen(0, count))
    if (output.length !== count || !inOrder(output)) fail(tally, 'lostJobs', `${jobId}: COMPLETED with ${output.length} outputs in its /status, not ${count} in order`)
    return
  }
  const code = status.errorDetail?.code
  const killedAt = code === 'worker_lost' ? targets.killedAt(status.workerId) : undefined
  if (status.status !== 'FAILED' || killedAt === undefined) {
    const why = code === 'worker_lost' ? `, but the soak never killed ${status.workerId}` : ''
    return fail(tally, 'lostJobs', `${jobId}: ended ${status.status} (${code ?? 'no code'}) on ${status.workerId}${why}`)
  }
  fleet.workerLostStreams++
  fleet.keptOutputs += output.length
  fleet.maxKillToDoneMs = Math.max(fleet.maxKillToDoneMs, doneAt - killedAt)
  if (!inOrder(output)) fail(tally, 'outOfOrderOutputs', `${jobId}: worker_lost with its kept outputs out of order`)
  const kept = Math.min(output.length, count)
  const missed = unseen(0, kept)
  const madeUp = count - kept - unseen(kept, count)
  if (missed > 0) fail(tally, 'lostOutputs', `${jobId}: ${missed} of the ${kept} outputs its worker_lost status kept never reached its reader`, missed)
  if (madeUp > 0) fail(tally, 'lostOutputs', `${jobId}: its reader saw ${madeUp} outputs that its worker_lost status lost`, madeUp)
}

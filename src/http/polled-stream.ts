/**
 * RunPod's polled stream (`GET /stream/:id` without `text/event-stream`): the outputs no earlier
 * draining read returned, or, with `?after=`, the outputs after that seq without draining (and the
 * cursor to pass next time). docs/protocol.md, "Polled JSON stream".
 * @module
 */
import type { JobEngine } from '../engine/engine.ts'
import type { LazySignal } from '../engine/wait.ts'
import { waitForSignal } from '../engine/wait.ts'
import { jobNotFound } from '../errors.ts'
import type { JobStore } from '../store/store.ts'
import type { JobState } from '../store/job-state.ts'
import { hasEnded } from '../store/job-state.ts'

/** Waits until the log has something after `seq`, the job ends, or `ms` passes. */
export function waitForNews(jobs: JobStore, job: JobState, seq: number, ms: number, signal: LazySignal): Promise<void> {
  if (ms <= 0 || job.attempt.lastSeq > seq || hasEnded(job.attempt)) return Promise.resolve()
  return waitForSignal(
    (wake) => {
      jobs.watch(job.id, seq, wake)
      return () => jobs.unwatch(job.id, wake)
    },
    ms,
    signal
  )
}

/** The polled JSON of job `id` now; without `after`, what it answers is drained. */
export async function polledStreamJson(engine: JobEngine, id: string, after: number | undefined): Promise<string> {
  const job = await engine.require(id)
  const from = after ?? job.attempt.drainSeq
  const read = await engine.store.jobs.read(id, from)
  if (!read) throw jobNotFound(id)
  const outputs: string[] = []
  read.types.forEach((type, index) => type === 'output' && outputs.push(`{"output":${read.jsons[index]}}`))
  const cursor = read.lastSeq
  if (after === undefined) await engine.markDrained(job, cursor)
  const { status, error } = job.attempt
  let text = `{"id":${JSON.stringify(id)},"status":"${status}","stream":[${outputs.join(',')}]`
  if (after !== undefined) text += `,"cursor":${cursor}`
  if (error) text += `,"error":${JSON.stringify(error.message)}`
  return `${text}}`
}

/**
 * The status object as JSON text, built from a job's state: what `/status`, `/runsync` and the
 * `done` event answer (docs/protocol.md, "Status object"). Stores build the `done` event with it
 * when an attempt ends; the engine adds the output.
 * @module
 */
import type { JobState } from './job-state.ts'

/**
 * The status object of `job` as JSON text. `outputJson`, already JSON, is spliced in as it is, so a
 * large aggregate is never parsed and serialised again; without it there is no `output` key (the
 * `done` event, or a job with no output yet). `now` measures a job that has not ended.
 */
export function statusJsonOf(job: JobState, outputJson: string | undefined, now: number): string {
  const attempt = job.attempt
  let json = `{"id":${JSON.stringify(job.id)},"status":"${attempt.status}"`
  if (outputJson !== undefined) json += `,"output":${outputJson}`
  if (attempt.error) {
    json += `,"error":${JSON.stringify(attempt.error.message)},"errorDetail":${JSON.stringify(attempt.error)}`
  }
  if (attempt.progressJson !== undefined) json += `,"progress":${attempt.progressJson}`
  const started = attempt.startedAt
  const delayTime = (started ?? attempt.finishedAt ?? now) - attempt.queuedAt
  const executionTime = started === undefined ? 0 : (attempt.finishedAt ?? now) - started
  json += `,"delayTime":${delayTime},"executionTime":${executionTime}`
  if (started !== undefined && attempt.workerId !== undefined) json += `,"workerId":${JSON.stringify(attempt.workerId)}`
  return `${json}}`
}

/**
 * `statusJson`, a status object as {@link statusJsonOf} makes it, with `members` (JSON object
 * members already made, such as `"logs":[…]`) added after its own: only a request that asks for
 * them gets them, and the status object of every other stays as it is, byte for byte.
 */
export function withMembers(statusJson: string, members: string): string {
  return `${statusJson.slice(0, -1)},${members}}`
}

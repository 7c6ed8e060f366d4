/**
 * A job as the Redis store keeps it, in a hash (see scripts-job.ts for its fields), read back as
 * the {@link JobState} every store hands out: a copy, since another member may change it next.
 * @module
 */
import type { ErrorDetail, JobRequest, JobStatus } from '../../types.ts'
import type { Attempt, JobOrigin, JobState, OutputKind } from '../job-state.ts'
import type { RedisReply } from './redis-client.ts'

/** A job's hash, field by field, with what only the Redis store needs beside its state. */
export interface JobHash {
  readonly state: JobState
  /** Bumped by every change the `done` event shows: a finish computed at it is still right. */
  readonly version: string
  /** The job's ttl, ms. */
  readonly ttl: number
  /** How long its result is kept after its end, ms. */
  readonly keep: number
}

/** The fields of an `HGETALL` reply as a map; undefined for an empty reply (no such key). */
export function fieldsOf(reply: RedisReply): Map<string, string> | undefined {
  if (!Array.isArray(reply) || reply.length === 0) return undefined
  const fields = new Map<string, string>()
  for (let index = 0; index < reply.length; index += 2) fields.set(String(reply[index]), String(reply[index + 1]))
  return fields
}

const numberOr = (text: string | undefined): number | undefined => (text === undefined ? undefined : Number(text))

/** The job an `HGETALL` reply holds, or undefined when there is no job. */
export function jobHashOf(id: string, reply: RedisReply): JobHash | undefined {
  const fields = fieldsOf(reply)
  if (!fields || !fields.has('n')) return undefined
  const error = fields.get('err')
  const attempt: Attempt = {
    number: Number(fields.get('n')),
    status: fields.get('st') as JobStatus,
    queuedAt: Number(fields.get('qAt')),
    startedAt: numberOr(fields.get('sAt')),
    finishedAt: numberOr(fields.get('fAt')),
    workerId: fields.get('wid'),
    kind: fields.get('kind') as OutputKind | undefined,
    error: error === undefined ? undefined : (JSON.parse(error) as ErrorDetail),
    progressJson: fields.get('prog'),
    outputJson: fields.get('out'),
    baseSeq: Number(fields.get('base')),
    lastSeq: Number(fields.get('last')),
    drainSeq: Number(fields.get('drain')),
  }
  const state: JobState = {
    id,
    request: JSON.parse(fields.get('req')!) as JobRequest,
    origin: fields.get('origin') as JobOrigin,
    attempt,
  }
  return { state, version: fields.get('v')!, ttl: Number(fields.get('ttl')), keep: Number(fields.get('keep') ?? fields.get('ttl')) }
}

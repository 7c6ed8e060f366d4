/**
 * What a durable store keeps of a job, and the interface the engine writes through. The in-memory
 * store needs none of it; the Durable Object store writes it to the object's storage.
 * @module
 */
import type { ErrorDetail, JobRequest, JobStatus } from '../types.ts'
import type { LogEvent } from './event-log.ts'
import type { JobOrigin, JobRecord } from './job-record.ts'

/** The durable part of a job: everything but its log and its live execution. */
export interface JobSnapshot {
  id: string
  request: JobRequest
  origin: JobOrigin
  status: JobStatus
  queuedAt: number
  startedAt: number | undefined
  finishedAt: number | undefined
  kind: 'value' | 'stream' | undefined
  error: ErrorDetail | undefined
  drainSeq: number
  attempt: number
  expired: boolean
  /** The seq before the current attempt's first event. */
  baseSeq: number
  order: number
  workerId: string | undefined
}

/** Where the engine writes a job's changes; every call returns at once (writes are batched). */
export interface JobPersistence {
  /** The job was created or changed status (or its polled-read cursor moved). */
  saveJob(snapshot: JobSnapshot): void
  /** An event was appended to the job's log. */
  saveEvent(id: string, event: LogEvent): void
  /** The job expired: forget it and its log. */
  deleteJob(id: string): void
}

/** The snapshot of a record, as a durable store keeps it. */
export function snapshotOf(record: JobRecord): JobSnapshot {
  return {
    id: record.id,
    request: record.request,
    origin: record.origin,
    status: record.status,
    queuedAt: record.queuedAt,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt,
    kind: record.kind,
    error: record.error,
    drainSeq: record.drainSeq,
    attempt: record.attempt,
    expired: record.expired,
    baseSeq: record.log.baseSeq,
    order: record.order,
    workerId: record.workerId,
  }
}

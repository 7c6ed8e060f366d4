/**
 * How a deployment's Durable Objects find and call each other: one object per job, named after the
 * job's id, which holds the job, runs its handler and serves its readers; and one coordinator,
 * which holds the deployment's queue and slots and never sees an output. Both are instances of the
 * one class the user binds (`EdgepodJobs`); an object's name says which it is. They call each other
 * with `fetch` on paths under {@link INTERNAL_PATH}, which the Worker in front never forwards.
 * @module
 */
import type { JobStatus } from '../../types.ts'

/** The coordinator's name. */
export const COORDINATOR_NAME = 'edgepod:coordinator'

/** The name of the object of job `id`. */
export const jobObjectName = (id: string): string => `edgepod:job:${id}`

/** Where objects call each other; refused from outside. */
export const INTERNAL_PATH = '/_edgepod/'

/** The header that tells an object its name (an id made from a name does not carry it everywhere). */
export const OBJECT_NAME_HEADER = 'x-edgepod-object'

/** What a job's object asks of the coordinator. Each call is idempotent: it may be made again. */
export type CoordinatorCall =
  /** Queue attempt `attempt` of job `id`; answered {@link EnqueueAnswer}. */
  | { kind: 'enqueue'; id: string; attempt: number; lowPriority: boolean }
  /** The attempt ended (or left the queue) with `status`: its slot or place is free. */
  | { kind: 'ended'; id: string; attempt: number; status: JobStatus }
  /** The deployment's `/health` counts, for a retry's queue check. */
  | { kind: 'health' }

/** The coordinator's answer to an enqueue: run now, wait for a grant, or refused (the queue is full). */
export type EnqueueAnswer = { granted: true } | { granted: false } | { full: number }

/** What the coordinator tells a job's object. Idempotent too. */
export type JobObjectCall =
  /** A slot is the attempt's: start it. */
  | { kind: 'grant'; id: string; attempt: number }
  /** `/purge-queue` took the attempt out of the queue: end it CANCELLED. */
  | { kind: 'purged'; id: string; attempt: number }

/** A stub of an object: what `namespace.get(id)` answers. */
export interface ObjectStub {
  fetch(request: Request): Promise<Response>
}

/** The part of a `DurableObjectNamespace` edgepod uses. */
export interface ObjectNamespace {
  idFromName(name: string): unknown
  get(id: unknown): ObjectStub
}

/** Sends `body` to the object named `name` at `INTERNAL_PATH + what`; resolves to its JSON answer. */
export async function callObject<T>(namespace: ObjectNamespace, name: string, what: string, body: unknown): Promise<T> {
  const request = new Request(`https://edgepod.internal${INTERNAL_PATH}${what}`, {
    method: 'POST',
    headers: { [OBJECT_NAME_HEADER]: name, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const response = await namespace.get(namespace.idFromName(name)).fetch(request)
  if (!response.ok) throw new Error(`edgepod: ${name} answered ${response.status} to ${what}: ${await response.text()}`)
  return (await response.json()) as T
}

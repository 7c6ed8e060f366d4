/**
 * Engines over the default in-memory store, for the engine's own tests: the store answers at once,
 * so a job's log can be read without a promise.
 * @module
 */
import { isPromiseLike } from '../../src/awaitable.ts'
import { resolveConfig } from '../../src/config.ts'
import type { WorkerConfig } from '../../src/config.ts'
import { JobEngine } from '../../src/engine/engine.ts'
import type { JobState, LogEvent } from '../../src/store/job-state.ts'
import type { LogRead } from '../../src/store/store.ts'
import { eventsOf } from '../../src/store/store.ts'
import type { JobStatusObject } from '../../src/types.ts'

/**
 * An engine for `config`, over the store the config resolves to (a fresh in-memory one by
 * default). It never ends the test's process: `exit` is what a `refresh_worker` calls instead.
 */
export function engineWith(config: WorkerConfig, exit?: () => void): JobEngine {
  const resolved = resolveConfig(config)
  return new JobEngine({ ...resolved.engine, exit }, resolved.store)
}

/** Resolves once the job's current attempt has ended (or the job is gone). */
export const ended = (engine: JobEngine, job: JobState) => new Promise<void>((resolve) => engine.store.jobs.watchEnd(job.id, resolve))

/**
 * The status object as it is now, read at once from the in-memory store: for a test that must see
 * it with no microtask between the call before and the read (`engine.status` is async).
 */
export function statusNow(engine: JobEngine, job: JobState): JobStatusObject {
  const json = engine.statusJson(job)
  if (isPromiseLike(json)) throw new Error('statusNow reads the in-memory store, which answers at once')
  return JSON.parse(json) as JobStatusObject
}

/** The whole log of the job's current attempt, read at once from the in-memory store, an object an event. */
export function logOf(engine: JobEngine, job: JobState): LogRead & { events: LogEvent[] } {
  const read = engine.store.jobs.read(job.id, 0)
  if (isPromiseLike(read)) throw new Error('logOf reads the in-memory store, which answers at once')
  if (!read) throw new Error(`no job ${job.id} in the store`)
  return { ...read, events: eventsOf(read) }
}

/** The JSON of the current attempt's outputs, in order. */
export const outputsOf = (engine: JobEngine, job: JobState) =>
  logOf(engine, job)
    .events.filter((event) => event.type === 'output')
    .map((event) => event.json)

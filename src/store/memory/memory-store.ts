/**
 * The in-memory store, edgepod's default: the jobs, their logs and the queue of one process (or
 * one isolate, or one Durable Object). Nothing is shared with another process; a job lives as long
 * as the process does, or until its retention runs out.
 * @module
 */
import type { Store } from '../store.ts'
import { MemoryDispatcher } from './memory-dispatcher.ts'
import { MemoryJobs } from './memory-jobs.ts'

/** The in-memory store: both parts over the same jobs. */
export interface MemoryStore extends Store {
  readonly jobs: MemoryJobs
  readonly dispatcher: MemoryDispatcher
}

/** A new, empty in-memory store. */
export function memoryStore(): MemoryStore {
  const jobs = new MemoryJobs()
  return { jobs, dispatcher: new MemoryDispatcher(jobs) }
}

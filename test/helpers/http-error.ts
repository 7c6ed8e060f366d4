import { expect } from 'vitest'
import { WorkerError } from '../../src/errors.ts'

/** Runs `fn` and returns the WorkerError it throws, failing the test if it throws anything else or nothing. */
export function workerErrorThrownBy(fn: () => unknown): WorkerError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(WorkerError)
    return error as WorkerError
  }
  throw new Error('expected a WorkerError, but nothing was thrown')
}

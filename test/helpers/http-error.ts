import { expect } from 'vitest'
import { HttpError } from '../../src/errors.ts'

/** Runs `fn` and returns the HttpError it throws, failing the test if it throws anything else or nothing. */
export function httpErrorThrownBy(fn: () => unknown): HttpError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(HttpError)
    return error as HttpError
  }
  throw new Error('expected an HttpError, but nothing was thrown')
}

/**
 * Values that may or may not come as promises. The in-memory store answers at once, a remote store
 * with a promise; the code between them handles both without making a promise (or a microtask) of
 * a value that is already there, since a token stream goes through it once per yield.
 * @module
 */

/** A value, or a promise of it. */
export type Awaitable<T> = T | Promise<T>

/** True for promises and other thenables. */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function'
}

/** `then(value)` once `value` is there: at once for a plain value, after it settles for a promise. */
export function whenReady<T, R>(value: Awaitable<T>, then: (ready: T) => Awaitable<R>): Awaitable<R> {
  return isPromiseLike(value) ? Promise.resolve(value).then(then) : then(value as T)
}

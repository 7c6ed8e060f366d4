/**
 * For the pain-point tests on a fake clock: requests to a worker in-process (no server, no socket),
 * vi.useFakeTimers settings that leave setImmediate real, and a flush of pending microtasks.
 */
import type { vi } from 'vitest'
import type { JobStatusObject, Worker } from '../../../src/index.ts'

/** The origin of in-process requests: nothing listens there. */
const BASE = 'http://edgepod.test'
/** A POST of `body` (as JSON) to `path`, for `worker.fetch`. */
export const postTo = (path: string, body?: unknown) =>
  new Request(`${BASE}${path}`, { method: 'POST', body: body === undefined ? undefined : JSON.stringify(body) })
/** A GET of `path` with `headers`, for `worker.fetch`. */
export const getFrom = (path: string, headers: Record<string, string> = {}) => new Request(`${BASE}${path}`, { headers })
/** Decodes the chunks of an in-process response body. */
export const decoder = new TextDecoder()
/** Setting these only leaves setImmediate real, to let every pending microtask run. */
export const FAKE: Parameters<typeof vi.useFakeTimers>[0] = { toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] }
/** Resolves once every pending microtask has run (setImmediate stays real under {@link FAKE}). */
export const flush = () => new Promise<void>((resolve) => setImmediate(resolve))
/** The `/status` of job `id`, asked of `worker` in-process. */
export const statusIn = async (worker: Worker, id: string) => JSON.parse(await (await worker.fetch(getFrom(`/status/${id}`))).text()) as JobStatusObject

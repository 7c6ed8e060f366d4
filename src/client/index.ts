/**
 * `edgepod/client`: a typed client for an edgepod worker (or any RunPod-compatible endpoint),
 * with streams that resume after a dropped connection and fall back to polling. It uses only
 * web-standard APIs (fetch, streams, AbortSignal, timers), so it runs in browsers, Node, Deno,
 * Bun and Workers, and it imports no server code.
 * @module
 */
export { createClient } from './client.ts'
export { EdgepodConnectionError, EdgepodError, EdgepodHttpError, EdgepodJobError } from './errors.ts'
export type {
  AnyWorker,
  CallOptions,
  ClientErrorCode,
  ClientOf,
  ClientOptions,
  EdgepodClient,
  ErrorDetail,
  FetchLike,
  HealthReport,
  InputOf,
  JobPolicy,
  JobRequest,
  JobLog,
  JobLogEntry,
  JobRef,
  JobStatus,
  JobStatusObject,
  JobStream,
  LogLevel,
  OutputOf,
  PurgeResult,
  ResultOf,
  RunSyncOptions,
  StatusOptions,
  StreamOptions,
  StreamPollOptions,
  StreamRetryOptions,
} from './types.ts'

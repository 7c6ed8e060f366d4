/**
 * edgepod: RunPod-style serverless handlers served as RunPod's job API, with real Server-Sent
 * Events, on any fetch runtime.
 * @module
 */
import { progressUpdate, start } from './serverless.ts'

/** RunPod's namespace: `serverless.start(config)`, and `serverless.progressUpdate` (`progress_update`). */
export const serverless = { start, progressUpdate, progress_update: progressUpdate } as const

export { start, progressUpdate } from './serverless.ts'
export type { Worker } from './serverless.ts'
export type { WorkerConfig, Handler, ConcurrencyModifier } from './config.ts'
export type { HandlerOutputOf, HandlerResultOf, AggregationOf } from './result-types.ts'
export type { Aggregation, Reducer } from './engine/aggregate.ts'
export type { CorsOptions } from './http/cors.ts'
export type {
  ErrorDetail,
  ExecutionContextLike,
  HealthReport,
  Job,
  JobPolicy,
  JobRequest,
  JobStatus,
  JobStatusObject,
  JobLog,
  JobLogEntry,
  LogLevel,
} from './types.ts'
export { isTerminal } from './types.ts'
export { UploadError, WorkerError, isWorkerError } from './errors.ts'
export type { UploadedFile } from './offload/bucket.ts'
export type { UploadBody } from './offload/upload-body.ts'
export type { UploadOptions } from './offload/job-files.ts'
export type { BucketConfig, R2BucketConfig, S3BucketConfig } from './offload/bucket-config.ts'
export type { ErrorCode } from './errors.ts'
export type { JobEngine } from './engine/engine.ts'
export { memoryStore } from './store/memory/memory-store.ts'
export type { MemoryStore } from './store/memory/memory-store.ts'
export type { AttemptWriter, Dispatcher, JobStore, LogRead, QueueEntry, Store, WorkerCounts } from './store/store.ts'
export type { Attempt, Ending, EventBatch, JobOrigin, JobState, Lease, LogEvent, LogEventType, NewJob } from './store/job-state.ts'
export { openaiHandler } from './openai/openai-handler.ts'
export type { ChatRequest, CompletionRequest, OpenAIHandlerOptions, OpenAIJobInput, Tokens } from './openai/openai-handler.ts'

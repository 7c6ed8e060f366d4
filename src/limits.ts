/**
 * Every default and limit of edgepod, in one place: the config falls back to these, the routes and
 * the request parser check against them, and `/openapi.json` reports the worker's own values.
 * @module
 */

/** The defaults of the worker's options (`serverless.start`). */
export const DEFAULTS = {
  /** Jobs run at once. */
  concurrency: 100,
  /** `policy.executionTimeout`, ms. */
  executionTimeout: 600_000,
  /** `policy.ttl`, ms. */
  ttl: 86_400_000,
  /** How long a `POST /stream` job lives on with no reader, ms. */
  disconnectGrace: 30_000,
  /** SSE keep-alive: a `: ping` after this much quiet, ms. */
  keepAlive: 15_000,
  /** How long a stopped handler may take to clean up before its slot is freed anyway, ms. */
  cleanupTimeout: 5_000,
  /** Largest request body, bytes. */
  maxBodyBytes: 10 * 1024 * 1024,
  /** How often a `concurrencyModifier` function is asked, idle or not, ms (RunPod asks about once a second). */
  concurrencyCadence: 1_000,
  /** How long a `/run` or `POST /stream` job's result is kept after its end, ms (RunPod's 30 min). */
  resultRetention: 30 * 60_000,
  /** How long a `/runsync` (or OpenAI) job's result is kept after its end, ms (RunPod's 1 min). */
  syncResultRetention: 60_000,
  /** RunPod's limit for `/runsync`, twice that of `/run`. */
  maxSyncBodyBytes: 20 * 1024 * 1024,
  /** Largest single output or progress value, UTF-8 bytes of its JSON (a longer log line is cut to fit). */
  maxEventBytes: 1024 * 1024,
  /** Largest total of a job's outputs, and of its final output, UTF-8 bytes of JSON. */
  maxResultBytes: 20 * 1024 * 1024,
  /** How long a polled `GET /stream/:id` waits for news, ms. */
  streamPollWait: 1_000,
  /** Jobs waiting for a slot before submissions are refused. */
  maxQueue: 10_000,
  /** Webhook deliveries: attempts in all, the delay before the second (doubled after), one attempt's timeout, ms. */
  webhookAttempts: 5,
  webhookInitialDelay: 1_000,
  webhookTimeout: 10_000,
  /**
   * How long a refreshing process (`refresh_worker`) waits after its last job before it exits, ms:
   * the answers under way, a `/runsync` result or a stream's last events, are written by then.
   */
  refreshFlush: 500,
  /** Requests to a bucket (one upload, one part): tries in all, and the delay before the second (doubled after), ms. */
  uploadAttempts: 4,
  uploadRetryDelay: 250,
} as const

/** `?wait=` of `/runsync` and `/status-sync`, ms: the default, and the most (RunPod's). */
export const SYNC_WAIT = { default: 90_000, max: 300_000 } as const

/** The most a polled `GET /stream/:id` may be asked to wait, ms. */
export const MAX_POLL_WAIT = SYNC_WAIT.max

/** The longest `policy.executionTimeout` or `policy.ttl` a request may ask for (RunPod's): 7 days, ms. */
export const MAX_POLICY_MS = 7 * 24 * 60 * 60 * 1000

/** How long a job that ended past its ttl is still kept, at most, ms (RunPod keeps sync results 1 min). */
export const LATE_RESULT_RETENTION = 60_000

/**
 * The most `job.log` lines `/status/:id?logs=1` answers: the most recent ones, and `logsDropped`
 * says how many older ones it left out. A status object stays small however chatty the handler.
 */
export const STATUS_LOGS = 100

/** The `Retry-After` of a full queue, seconds. */
export const QUEUE_FULL_RETRY_AFTER = 1

/** The defaults and limits a worker runs with, which `/openapi.json` tells (ms and bytes). */
export interface WorkerLimits {
  executionTimeout: number
  ttl: number
  disconnectGrace: number
  keepAlive: number
  streamPollWait: number
  maxBodyBytes: number
  maxSyncBodyBytes: number
  maxEventBytes: number
  maxResultBytes: number
  maxQueue: number
}

/** The {@link WorkerLimits} of a worker started with none of them set. */
export const DEFAULT_LIMITS: WorkerLimits = {
  executionTimeout: DEFAULTS.executionTimeout,
  ttl: DEFAULTS.ttl,
  disconnectGrace: DEFAULTS.disconnectGrace,
  keepAlive: DEFAULTS.keepAlive,
  streamPollWait: DEFAULTS.streamPollWait,
  maxBodyBytes: DEFAULTS.maxBodyBytes,
  maxSyncBodyBytes: DEFAULTS.maxSyncBodyBytes,
  maxEventBytes: DEFAULTS.maxEventBytes,
  maxResultBytes: DEFAULTS.maxResultBytes,
  maxQueue: DEFAULTS.maxQueue,
}

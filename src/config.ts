/**
 * The options of `serverless.start`, with RunPod's snake_case spellings accepted beside the
 * camelCase ones so that code from RunPod's docs ports line for line.
 * @module
 */
import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { Job } from './types.ts'
import type { Reducer } from './engine/aggregate.ts'
import type { EngineOptions } from './engine/engine.ts'
import type { AppOptions } from './http/route.ts'
import type { CorsOptions } from './http/cors.ts'
import { checkCorsOptions } from './http/cors.ts'
import { checkConfigKeys } from './config-keys.ts'
import type { RunPodIgnoredOptions } from './config-keys.ts'
import type { WebhookOptions } from './engine/webhook.ts'
import { decodeWebhookSecret } from './engine/webhook-signature.ts'
import { DEFAULTS } from './limits.ts'
import type { Store } from './store/store.ts'
import { defaultStore } from './store/default-store.ts'
import { processExit } from './engine/refresh.ts'
import { checkBucketConfig } from './offload/bucket-config.ts'
import type { BucketConfig } from './offload/bucket-config.ts'

/**
 * A handler: a function, async function, generator or async generator, or any function that returns
 * a value, a promise, an (async) iterable or a `ReadableStream`. What it returns decides how it runs.
 */
export type Handler<TInput = any, TEnv = any, TResult = unknown> = (job: Job<TInput, TEnv>) => TResult

/** RunPod's concurrency modifier: called with the current concurrency, returns the wanted one. */
export type ConcurrencyModifier = number | ((current: number) => number)

/**
 * A boolean option's type, the literal `TFlag` when that is one (see {@link WorkerConfig}); a
 * conditional type rather than `TFlag & boolean`, so that a wrong value is reported against
 * `boolean`, not against a type inferred from the wrong value itself.
 */
type FlagOption<TFlag> = TFlag extends boolean | undefined ? TFlag : boolean | undefined

/**
 * `aggregate`'s type, with `TAggregate` to infer its literal type from (see {@link WorkerConfig}):
 * `unknown & T` is `T`. A reducer is also a `Reducer<TReduced>`, which types its `result` from
 * `initial` as `start` infers `TReduced`. An intersection, not a conditional type like
 * {@link FlagOption}: inference from a conditional type loses both a wide source (a `WorkerConfig`
 * spread into `start`) and the reducer's contextual typing.
 */
type AggregateOptionOf<TAggregate, TReduced> = TAggregate & ('array' | 'concat' | 'none' | Reducer<TReduced> | undefined)

/**
 * What `serverless.start` takes. Past the first three, the type parameters are for `start` to
 * infer, so that the worker's types follow the config: `TRequestInput` is the schema's input type
 * (what a request sends, before defaults and transforms), `TAggregate`, `TReturnAggregateStream`
 * and `TReturnAggregateStreamRunPod` the options' own (literal) types, and `TReduced` a reducer's
 * result. Left `unknown`, each option takes what it always took. RunPod's keys that edgepod has
 * no use for are accepted with a warning (see {@link RunPodIgnoredOptions}); any other key is refused.
 */
export interface WorkerConfig<
  TInput = any,
  TEnv = any,
  TResult = unknown,
  TRequestInput = unknown,
  TAggregate = unknown,
  TReduced = unknown,
  TReturnAggregateStream = unknown,
  TReturnAggregateStreamRunPod = unknown,
> extends RunPodIgnoredOptions {
  /** The handler every job runs. */
  handler: Handler<TInput, TEnv, TResult>
  /**
   * Runs once before the first job (load a model, open a pool), started by the worker's first
   * request, with its env. While it runs, `GET /ping` answers 204 and jobs wait in the queue; once
   * it resolves, 200. If it throws, `/ping` answers 503 `setup_failed` and every job fails with its error.
   */
  setup?: ((env: TEnv) => void | Promise<void>) | undefined
  /**
   * A Standard Schema validator (zod, valibot, arktype, ...) for `input`: a request whose input fails
   * it is answered 400 `invalid_input` with the issues, before any job exists, and `job.input` is
   * the validated value, typed from the schema.
   */
  schema?: StandardSchemaV1<TRequestInput, TInput> | undefined
  // The aggregation options name type parameters only for `start` to infer their literal types
  // (`true`, `'concat'`); left `unknown`, each is its plain type, so what they accept is unchanged.
  /**
   * Keep every yield of a streaming handler as the job's `output` array (otherwise `[]`).
   * @default false
   */
  returnAggregateStream?: FlagOption<TReturnAggregateStream> | undefined
  /** RunPod's spelling of {@link WorkerConfig.returnAggregateStream}. */
  return_aggregate_stream?: FlagOption<TReturnAggregateStreamRunPod> | undefined
  /**
   * How a streaming handler's outputs become its `output`, when `returnAggregateStream` is not
   * enough: `'array'` (the same), `'concat'` (one string, for token streams), `'none'`, or a
   * reducer `{ initial, reduce(result, output, index) }`, whose `result` is typed by `initial`.
   * Takes precedence over `returnAggregateStream`.
   */
  aggregate?: AggregateOptionOf<TAggregate, TReduced> | undefined
  /** Largest single output or progress value (UTF-8 bytes of its JSON). @default 1048576 */
  maxEventBytes?: number | undefined
  /**
   * Largest total of a job's outputs, which are all kept for resume, and of its final output (UTF-8
   * bytes of JSON). A job that would pass it ends `FAILED` with `payload_too_large`, keeping what it
   * streamed. @default 20971520
   */
  maxResultBytes?: number | undefined
  /** Webhook delivery: signing secret (Standard Webhooks; else `EDGEPOD_WEBHOOK_SECRET` from the env), retries. */
  webhooks?: Partial<WebhookOptions> | undefined
  /**
   * How many jobs run at once; the rest wait in FIFO order. A function is RunPod's modifier,
   * asked again whenever jobs are taken.
   * @default 100
   */
  concurrencyModifier?: ConcurrencyModifier | undefined
  /** RunPod's spelling of {@link WorkerConfig.concurrencyModifier}. */
  concurrency_modifier?: ConcurrencyModifier | undefined
  /** `policy.executionTimeout` for requests without one, ms. @default 600000 */
  executionTimeout?: number | undefined
  /** `policy.ttl` for requests without one, ms. @default 86400000 */
  ttl?: number | undefined
  /**
   * How long a `POST /stream` job goes on with no reader before it is cancelled, ms; a reader that
   * comes back within it (with `Last-Event-ID`) resumes. `Infinity` never cancels. `/run` jobs are
   * never cancelled by readers leaving.
   * @default 30000
   */
  disconnectGrace?: number | undefined
  /** SSE keep-alive: a `: ping` comment after this much quiet, ms. @default 15000 */
  keepAlive?: number | undefined
  /** How long a stopped handler may take to run its cleanup before its slot is freed anyway, ms. @default 5000 */
  cleanupTimeout?: number | undefined
  /**
   * RunPod's `refresh_worker`: after every job, the process drains (it takes no new job, and ends
   * those it holds) and exits, for its supervisor to start a fresh one. A plain handler's returned
   * `{ refresh_worker: true, ... }` asks the same after its own job. Node, Bun and Deno only: on
   * Workers it does nothing. @default false
   */
  refreshWorker?: boolean | undefined
  /** RunPod's spelling of {@link WorkerConfig.refreshWorker}. */
  refresh_worker?: boolean | undefined
  /**
   * Where `job.upload` puts files, and spilled outputs go, when a request brings no `s3Config`: an
   * S3-compatible bucket `{ endpointUrl, bucketName, accessId, accessSecret, region?, prefix?,
   * publicUrl?, urlExpiry? }`, or an R2 binding `{ r2: 'BINDING', publicUrl, prefix? }`. Without it,
   * RunPod's `BUCKET_ENDPOINT_URL`, `BUCKET_ACCESS_KEY_ID`, `BUCKET_SECRET_ACCESS_KEY` (and
   * edgepod's `BUCKET_NAME`) from the env name one.
   */
  bucket?: BucketConfig | undefined
  /**
   * Put an output or a result over the inline limits (`maxEventBytes`, `maxResultBytes`) in the
   * job's bucket instead of failing the job: its event or status then carries `{ url, size,
   * contentType }` in its place. A job with no bucket still fails `payload_too_large`. @default false
   */
  spill?: boolean | undefined
  /** Largest accepted request body, bytes. @default 10485760 */
  maxBodyBytes?: number | undefined
  /** How long a `/run` or `POST /stream` job's result is kept after its end, within its ttl, ms. @default 1800000 (RunPod's 30 min) */
  resultRetention?: number | undefined
  /** How long a `/runsync` or OpenAI job's result is kept after its end, within its ttl, ms. @default 60000 (RunPod's 1 min) */
  syncResultRetention?: number | undefined
  /** The largest request body of `/runsync`, bytes (RunPod's is 20 MB, `/run`'s 10 MB). @default 20 MB */
  maxSyncBodyBytes?: number | undefined
  /** How long a polled `GET /stream/:id` waits for something new before answering, ms. @default 1000 */
  streamPollWait?: number | undefined
  /**
   * Require `Authorization: Bearer <key>` on every route; several keys allow rotation. Without it,
   * `EDGEPOD_API_KEY` from the runtime's env (comma-separated for several) is used when set.
   */
  apiKey?: string | readonly string[] | undefined
  /**
   * The most jobs waiting for a slot; past it `/run`, `/runsync`, `POST /stream` and `/retry` are
   * answered 429 `queue_full` (with `Retry-After`) instead of the queue growing without end.
   * `Infinity` for no limit. @default 10000
   */
  maxQueue?: number | undefined
  /** Let browser pages on other origins call the worker. Closed by default. */
  cors?: CorsOptions | undefined
  /** Put stacks in `errorDetail` and 500 answers. Off by default: stacks leak internals. @default false */
  exposeErrorStack?: boolean | undefined
  /** The `workerId` in status objects. @default a random id per worker */
  workerId?: string | undefined
  /**
   * Where jobs live: their records, their logs and the queue. @default the Redis store when
   * `EDGEPOD_REDIS_URL` is set (see `edgepod/redis`), else a new in-memory store, this process's alone
   */
  store?: Store | undefined
}

/** The config with every default applied, split by who uses it. */
export interface ResolvedConfig {
  engine: EngineOptions
  app: AppOptions
  store: Store
}

function positive(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0 || (!allowZero && value === 0)) {
    throw new TypeError(`edgepod: ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${String(value)}`)
  }
  return value
}

function flag(name: string, value: boolean | undefined): boolean {
  if (value !== undefined && typeof value !== 'boolean') throw new TypeError(`edgepod: ${name} must be true or false, got ${String(value)}`)
  return value === true
}

function wholeOrInfinity(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (value !== Infinity && !(Number.isInteger(value) && value >= 0)) {
    throw new TypeError(`edgepod: ${name} must be a whole number of at least 0, or Infinity, got ${String(value)}`)
  }
  return value
}

/**
 * Applies defaults and aliases; throws a `TypeError` naming the option for a bad value or an
 * unknown key, and warns once for each of RunPod's keys that edgepod ignores.
 */
export function resolveConfig(config: WorkerConfig): ResolvedConfig {
  // Keys first: `handlr` is better answered with "did you mean handler" than "needs a handler".
  if (typeof config === 'object' && config !== null) checkConfigKeys(config)
  if (typeof config?.handler !== 'function') {
    throw new TypeError('edgepod: serverless.start needs a handler function: serverless.start({ handler })')
  }
  const concurrency = config.concurrencyModifier ?? config.concurrency_modifier ?? DEFAULTS.concurrency
  if (typeof concurrency === 'number' && !(Number.isInteger(concurrency) && concurrency >= 1) && concurrency !== Infinity) {
    throw new TypeError(`edgepod: concurrencyModifier must be a whole number of at least 1, got ${concurrency}`)
  }
  if (typeof concurrency !== 'number' && typeof concurrency !== 'function') {
    throw new TypeError('edgepod: concurrencyModifier must be a number or a function (current) => wanted')
  }
  const keys = config.apiKey === undefined ? [] : typeof config.apiKey === 'string' ? [config.apiKey] : [...config.apiKey]
  if (keys.some((key) => typeof key !== 'string' || key.length === 0)) {
    throw new TypeError('edgepod: apiKey must be a non-empty string or a list of them')
  }
  const exposeErrorStack = config.exposeErrorStack ?? false
  const aggregation = config.aggregate ?? ((config.returnAggregateStream ?? config.return_aggregate_stream) ? 'array' : 'none')
  if (
    !['array', 'concat', 'none'].includes(aggregation as string) &&
    (typeof aggregation !== 'object' || typeof aggregation.reduce !== 'function')
  ) {
    throw new TypeError(`edgepod: aggregate must be 'array', 'concat', 'none' or { initial, reduce }, got ${String(aggregation)}`)
  }
  const schema = config.schema
  if (schema !== undefined && typeof schema?.['~standard']?.validate !== 'function') {
    throw new TypeError('edgepod: schema must be a Standard Schema validator (zod, valibot, arktype, ...)')
  }
  if (config.cors !== undefined) checkCorsOptions(config.cors)
  checkBucketConfig(config.bucket)
  const webhooks = config.webhooks ?? {}
  // A malformed secret fails here, at start-up, not at the first webhook.
  if (webhooks.secret !== undefined) decodeWebhookSecret(webhooks.secret)
  return {
    engine: {
      handler: config.handler as EngineOptions['handler'],
      aggregation,
      maxEventBytes: positive('maxEventBytes', config.maxEventBytes, DEFAULTS.maxEventBytes),
      maxResultBytes: positive('maxResultBytes', config.maxResultBytes, DEFAULTS.maxResultBytes),
      webhooks: {
        secret: webhooks.secret,
        attempts: Math.max(1, Math.floor(webhooks.attempts ?? DEFAULTS.webhookAttempts)),
        initialDelay: positive('webhooks.initialDelay', webhooks.initialDelay, DEFAULTS.webhookInitialDelay, true),
        timeout: positive('webhooks.timeout', webhooks.timeout, DEFAULTS.webhookTimeout),
        fetch: webhooks.fetch,
      },
      concurrency,
      executionTimeout: positive('executionTimeout', config.executionTimeout, DEFAULTS.executionTimeout),
      ttl: positive('ttl', config.ttl, DEFAULTS.ttl),
      disconnectGrace: positive('disconnectGrace', config.disconnectGrace, DEFAULTS.disconnectGrace, true),
      cleanupTimeout: positive('cleanupTimeout', config.cleanupTimeout, DEFAULTS.cleanupTimeout, true),
      maxQueue: wholeOrInfinity('maxQueue', config.maxQueue, DEFAULTS.maxQueue),
      exposeErrorStack,
      workerId: config.workerId,
      setup: config.setup as EngineOptions['setup'],
      refreshWorker: flag('refreshWorker', config.refreshWorker ?? config.refresh_worker),
      bucket: config.bucket,
      spill: flag('spill', config.spill),
      exit: processExit(),
      resultRetention: positive('resultRetention', config.resultRetention, DEFAULTS.resultRetention),
      syncResultRetention: positive('syncResultRetention', config.syncResultRetention, DEFAULTS.syncResultRetention),
    },
    app: {
      keepAlive: positive('keepAlive', config.keepAlive, DEFAULTS.keepAlive),
      maxBodyBytes: positive('maxBodyBytes', config.maxBodyBytes, DEFAULTS.maxBodyBytes),
      maxSyncBodyBytes: positive('maxSyncBodyBytes', config.maxSyncBodyBytes, DEFAULTS.maxSyncBodyBytes),
      streamPollWait: positive('streamPollWait', config.streamPollWait, DEFAULTS.streamPollWait, true),
      apiKeys: keys,
      exposeErrorStack,
      schema,
      cors: config.cors,
    },
    store: config.store ?? defaultStore(),
  }
}

/**
 * The keys `serverless.start` takes, checked at start-up: a key no entry point knows is refused,
 * naming the option it was most likely meant to be (a typo such as `returnAggregatedStream` would
 * otherwise turn aggregation off without a word), and RunPod's keys that edgepod has no use for
 * are accepted with one warning each, so that a config ported from RunPod still starts.
 * @module
 */
import type { DurableObjectOption } from './adapter/cloudflare-workers/start.ts'
import type { WorkerConfig } from './config.ts'
import { editDistance } from './edit-distance.ts'

/**
 * RunPod's `serverless.start` keys that edgepod accepts and ignores, each with a warning at
 * start-up (once per process) that says why. Typed so that a config ported from RunPod compiles;
 * marked deprecated so that editors strike them through.
 */
export interface RunPodIgnoredOptions {
  /** @deprecated edgepod ignores it: RunPod's `start` fills it in from its command-line flags, which edgepod reads itself. */
  rp_args?: Record<string, unknown> | undefined
  /** @deprecated edgepod ignores it: internal to RunPod's debugger. */
  reference_counter_start?: number | undefined
  /** @deprecated edgepod ignores it: a test hook of RunPod's job-taking loop. */
  jobs_fetcher?: unknown
  /** @deprecated edgepod ignores it: a test hook of RunPod's job-taking loop. */
  jobs_fetcher_timeout?: number | undefined
  /** @deprecated edgepod ignores it: a test hook of RunPod's job-taking loop. */
  jobs_handler?: unknown
  /** @deprecated edgepod ignores it: a test hook of RunPod's job-taking loop. */
  stop_signals_fetcher?: unknown
  /** @deprecated edgepod ignores it: a test hook of RunPod's job-taking loop. */
  stop_signals_fetcher_timeout?: number | undefined
}

/** A key of the config: an option edgepod uses, or one of RunPod's that it ignores, and why. */
type KeyRule = 'option' | { ignored: string }

const TEST_HOOK = { ignored: "it is a test hook of RunPod's job-taking loop; edgepod's jobs come through its routes" }

/**
 * Every key of {@link WorkerConfig}, the one list of them: `satisfies` fails the build when an
 * option is added to `WorkerConfig` without being listed here, or listed here and not there.
 */
const CONFIG_KEYS = {
  handler: 'option',
  setup: 'option',
  schema: 'option',
  returnAggregateStream: 'option',
  return_aggregate_stream: 'option',
  aggregate: 'option',
  maxEventBytes: 'option',
  maxResultBytes: 'option',
  webhooks: 'option',
  concurrencyModifier: 'option',
  concurrency_modifier: 'option',
  executionTimeout: 'option',
  ttl: 'option',
  disconnectGrace: 'option',
  keepAlive: 'option',
  cleanupTimeout: 'option',
  maxBodyBytes: 'option',
  maxSyncBodyBytes: 'option',
  resultRetention: 'option',
  syncResultRetention: 'option',
  streamPollWait: 'option',
  apiKey: 'option',
  maxQueue: 'option',
  cors: 'option',
  exposeErrorStack: 'option',
  workerId: 'option',
  store: 'option',
  refreshWorker: 'option',
  refresh_worker: 'option',
  bucket: 'option',
  spill: 'option',
  rp_args: { ignored: "RunPod's start fills it in from its command-line flags, which edgepod reads itself when the worker file is run (`tsx worker.ts --rp_serve_api`)" },
  reference_counter_start: { ignored: "it is internal to RunPod's debugger" },
  jobs_fetcher: TEST_HOOK,
  jobs_fetcher_timeout: TEST_HOOK,
  jobs_handler: TEST_HOOK,
  stop_signals_fetcher: TEST_HOOK,
  stop_signals_fetcher_timeout: TEST_HOOK,
} as const satisfies Record<keyof WorkerConfig, KeyRule>

/** The options another entry point's `serverless.start` takes besides these, by that entry point. */
const ENTRY_POINT_KEYS = {
  durableObject: 'edgepod/cloudflare-workers',
} as const satisfies Record<keyof DurableObjectOption, string>

type ConfigKey = keyof typeof CONFIG_KEYS
type EntryPointKey = keyof typeof ENTRY_POINT_KEYS

/** The ignored keys already warned about: one warning per key per process, however many workers start. */
const warned = new Set<string>()

/**
 * Checks the keys of a `serverless.start` config: throws a `TypeError` for a key no entry point
 * knows (naming the nearest known one) or another entry point's option, and warns once per
 * process for each of RunPod's keys that edgepod ignores.
 */
export function checkConfigKeys(config: object): void {
  for (const [key, value] of Object.entries(config)) {
    if (Object.hasOwn(CONFIG_KEYS, key)) {
      const rule: KeyRule = CONFIG_KEYS[key as ConfigKey]
      if (rule !== 'option' && value !== undefined && !warned.has(key)) {
        warned.add(key)
        console.warn(`edgepod: serverless.start ignores RunPod's ${key}: ${rule.ignored}`)
      }
    } else if (Object.hasOwn(ENTRY_POINT_KEYS, key)) {
      // Only the core's start gets here with one: another entry point takes its own keys out first.
      if (value === undefined) continue
      const entry = ENTRY_POINT_KEYS[key as EntryPointKey]
      throw new TypeError(`edgepod: ${key} is an option of ${entry}: import { serverless } from '${entry}'`)
    } else {
      throw new TypeError(unknownKeyMessage(key))
    }
  }
}

/** The refusal of an unknown key: the known key it is nearest to, or every option when none is near. */
function unknownKeyMessage(key: string): string {
  const nearest = nearestKey(key)
  if (nearest !== undefined) return `edgepod: serverless.start has no option "${key}"; did you mean "${nearest}"${noteOf(nearest)}?`
  const options = Object.keys(CONFIG_KEYS).filter((known) => CONFIG_KEYS[known as ConfigKey] === 'option')
  return `edgepod: serverless.start has no option "${key}"; its options are ${options.join(', ')}`
}

/** What the suggestion is, when it is not one of this entry point's options. */
function noteOf(key: string): string {
  if (Object.hasOwn(ENTRY_POINT_KEYS, key)) return ` (an option of ${ENTRY_POINT_KEYS[key as EntryPointKey]})`
  return CONFIG_KEYS[key as ConfigKey] === 'option' ? '' : " (RunPod's, which edgepod ignores)"
}

/** Case, `_` and `-` are not what tells two option names apart: `max_body_bytes` is `maxBodyBytes`. */
const normalised = (key: string) => key.toLowerCase().replace(/[_-]/g, '')

/**
 * The known key nearest to `key`, if one is near enough to be a typo of it: within a quarter of
 * its length in edits (at least one), once case and separators are set aside. A tie goes to the
 * key nearest as written, so that `return_aggregate_streams` gets RunPod's spelling back.
 */
function nearestKey(key: string): string | undefined {
  const wanted = normalised(key)
  const limit = Math.max(1, Math.ceil(wanted.length / 4))
  let best: { key: string; distance: number; raw: number } | undefined
  for (const known of [...Object.keys(CONFIG_KEYS), ...Object.keys(ENTRY_POINT_KEYS)]) {
    const distance = editDistance(wanted, normalised(known))
    if (distance > limit) continue
    const raw = editDistance(key, known)
    if (best === undefined || distance < best.distance || (distance === best.distance && raw < best.raw)) best = { key: known, distance, raw }
  }
  return best?.key
}

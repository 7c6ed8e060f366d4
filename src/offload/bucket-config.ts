/**
 * Which bucket a job's files go to, in RunPod's order: the request's `s3Config` (RunPod's four
 * keys), else the worker's `bucket` option, else RunPod's `BUCKET_*` environment variables. What
 * each must hold is checked where it is given: the option at start-up, `s3Config` when the request
 * arrives (400 `invalid_input`), the environment at the first upload.
 * @module
 */
import { envString } from '../env.ts'
import { isHttpUrl } from '../http-url.ts'
import type { JobRequest } from '../types.ts'
import type { Bucket } from './bucket.ts'
import { r2Bucket } from './r2-bucket.ts'
import type { R2BucketBinding } from './r2-bucket.ts'
import { MAX_URL_EXPIRY, s3Bucket } from './s3-bucket.ts'
import type { S3BucketOptions } from './s3-bucket.ts'

/** An S3-compatible bucket of the worker: RunPod's `s3Config` keys, and how its files are named and fetched. */
export interface S3BucketConfig extends S3BucketOptions {
  /** Put before every key, as Cog's output prefix (`outputs/`). @default '' */
  prefix?: string | undefined
}

/** A Cloudflare R2 bucket of the worker, through its binding (Workers only). */
export interface R2BucketConfig {
  /** The name of the R2 binding in the Worker's `env`. */
  r2: string
  /** Where the bucket's objects are public (an r2.dev address or a custom domain): a binding cannot presign. */
  publicUrl: string
  /** Put before every key. @default '' */
  prefix?: string | undefined
}

/** Where a worker's files go when a request brings no `s3Config`. */
export type BucketConfig = S3BucketConfig | R2BucketConfig

/** RunPod's `s3Config` keys, each a non-empty string. */
const S3_CONFIG_KEYS = ['accessId', 'accessSecret', 'bucketName', 'endpointUrl'] as const

/** A bucket chosen for one job, and the secrets its messages must never show. */
export interface JobBucket {
  bucket: Bucket
  prefix: string
  secrets: string[]
}

/**
 * What is wrong with a request's `s3Config`, if anything: none of RunPod's keys (it is then the
 * handler's alone, as on RunPod), or all four as non-empty strings, with an http(s) endpoint.
 */
export function s3ConfigIssues(s3Config: Record<string, unknown>): { key: string; message: string }[] {
  if (!S3_CONFIG_KEYS.some((key) => key in s3Config)) return []
  const issues = S3_CONFIG_KEYS.filter((key) => typeof s3Config[key] !== 'string' || s3Config[key] === '').map((key) => ({
    key,
    message: 'must be a non-empty string (an s3Config names a bucket with accessId, accessSecret, bucketName and endpointUrl)',
  }))
  const endpoint = s3Config['endpointUrl']
  if (typeof endpoint === 'string' && endpoint !== '' && !isHttpUrl(endpoint)) issues.push({ key: 'endpointUrl', message: 'must be an http(s) URL' })
  return issues
}

/** Checks the worker's `bucket` option; throws a `TypeError` naming what is wrong. */
export function checkBucketConfig(config: unknown): asserts config is BucketConfig | undefined {
  if (config === undefined) return
  const fail = (message: string): never => {
    throw new TypeError(`edgepod: bucket ${message}`)
  }
  if (typeof config !== 'object' || config === null) fail('must be an object: { endpointUrl, bucketName, accessId, accessSecret } or { r2, publicUrl }')
  const given = config as Record<string, unknown>
  for (const key of ['prefix', 'publicUrl', 'region'] as const) {
    if (given[key] !== undefined && typeof given[key] !== 'string') fail(`.${key} must be a string`)
  }
  if (given['publicUrl'] !== undefined && !isHttpUrl(given['publicUrl'] as string)) fail('.publicUrl must be an http(s) URL')
  if ('r2' in given) {
    if (typeof given['r2'] !== 'string' || given['r2'] === '') fail('.r2 must be the name of an R2 binding')
    if (given['publicUrl'] === undefined) fail('.publicUrl is needed with r2: an R2 binding cannot presign URLs, so files are fetched from its public URL')
    return
  }
  for (const issue of s3ConfigIssues(given)) fail(`.${issue.key} ${issue.message}`)
  if (!S3_CONFIG_KEYS.every((key) => key in given)) fail('needs endpointUrl, bucketName, accessId and accessSecret, or r2 and publicUrl')
  const expiry = given['urlExpiry']
  if (expiry !== undefined && !(Number.isInteger(expiry) && (expiry as number) >= 1 && (expiry as number) <= MAX_URL_EXPIRY)) {
    fail(`.urlExpiry must be a whole number of seconds from 1 to ${MAX_URL_EXPIRY}`)
  }
}

/**
 * The bucket of a job: its request's `s3Config`, else the worker's `bucket`, else the environment;
 * undefined when there is none. `env` is the job's (Workers' bindings, or the process environment).
 */
export function bucketOfJob(request: JobRequest, config: BucketConfig | undefined, env: unknown): JobBucket | undefined {
  const s3Config = request.s3Config
  if (s3Config !== undefined && s3ConfigIssues(s3Config).length === 0 && 'accessId' in s3Config) {
    const options = s3Config as unknown as S3BucketOptions
    return { bucket: s3Bucket(pickS3(options)), prefix: '', secrets: [options.accessSecret, options.accessId] }
  }
  if (config !== undefined && 'r2' in config) {
    const binding = (env as Record<string, unknown> | undefined)?.[config.r2] as R2BucketBinding | undefined
    if (typeof binding?.createMultipartUpload !== 'function') throw new TypeError(`the worker's bucket is the R2 binding ${config.r2}, which this job's env does not have`)
    return { bucket: r2Bucket(binding, config.publicUrl, config.r2), prefix: config.prefix ?? '', secrets: [] }
  }
  if (config !== undefined) return { bucket: s3Bucket(config), prefix: config.prefix ?? '', secrets: [config.accessSecret, config.accessId] }
  return bucketOfEnv(env)
}

/** Only RunPod's four keys of a request's `s3Config`: its other keys are the handler's, not options of edgepod's. */
function pickS3({ endpointUrl, bucketName, accessId, accessSecret }: S3BucketOptions): S3BucketOptions {
  return { endpointUrl, bucketName, accessId, accessSecret }
}

/**
 * RunPod's upload helpers' variables: `BUCKET_ENDPOINT_URL`, `BUCKET_ACCESS_KEY_ID`,
 * `BUCKET_SECRET_ACCESS_KEY`, and `BUCKET_NAME` (edgepod's). Without it, the bucket is the first
 * label of the endpoint's host, as RunPod reads `https://<bucket>.s3.<region>.amazonaws.com`.
 */
function bucketOfEnv(env: unknown): JobBucket | undefined {
  const endpoint = envString(env, 'BUCKET_ENDPOINT_URL')
  if (endpoint === undefined) return undefined
  const accessId = envString(env, 'BUCKET_ACCESS_KEY_ID')
  const accessSecret = envString(env, 'BUCKET_SECRET_ACCESS_KEY')
  if (accessId === undefined || accessSecret === undefined || !isHttpUrl(endpoint)) {
    throw new TypeError('BUCKET_ENDPOINT_URL is set, but not with BUCKET_ACCESS_KEY_ID and BUCKET_SECRET_ACCESS_KEY, or it is not an http(s) URL')
  }
  let endpointUrl = endpoint
  let bucketName = envString(env, 'BUCKET_NAME')
  if (bucketName === undefined) {
    const url = new URL(endpoint)
    const [label, ...rest] = url.hostname.split('.')
    bucketName = label!
    url.hostname = rest.join('.')
    endpointUrl = url.origin
  }
  return { bucket: s3Bucket({ endpointUrl, bucketName, accessId, accessSecret }), prefix: envString(env, 'BUCKET_PREFIX') ?? '', secrets: [accessSecret, accessId] }
}

/**
 * The files of one job attempt: `job.upload`, and the outputs and results spilled to the bucket
 * when they are over the inline limits. The bucket is chosen at the first upload (bucket-config.ts),
 * each file is named `<prefix><job id>/<name>` (`attempt-<n>/` before the name from a retry on, so
 * that a retry never overwrites what an earlier attempt's events point to), and every failure is an
 * {@link UploadError} whose message never holds a credential.
 * @module
 */
import { UploadError } from '../errors.ts'
import type { JobRequest } from '../types.ts'
import type { UploadedFile } from './bucket.ts'
import type { BucketConfig, JobBucket } from './bucket-config.ts'
import { bucketOfJob } from './bucket-config.ts'
import { bytesOrStream, defaultContentType } from './upload-body.ts'
import type { UploadBody } from './upload-body.ts'

/** Options of `job.upload`. */
export interface UploadOptions {
  /** The file's name under the job's folder. @default `file-<n>` with an extension from the content type */
  name?: string | undefined
  /** @default from the body: `text/plain` for a string, the Blob's type, else `application/octet-stream` */
  contentType?: string | undefined
}

/** The file extensions of common content types, for a default name. */
const EXTENSIONS: Record<string, string> = {
  'application/json': '.json',
  'text/plain': '.txt',
  'image/png': '.png',
  'image/jpeg': '.jpg',
  'image/webp': '.webp',
  'audio/wav': '.wav',
  'audio/mpeg': '.mp3',
  'video/mp4': '.mp4',
}

/** What a job's files need to know of it. */
export interface JobFilesContext {
  id: string
  attempt: number
  request: JobRequest
  env: unknown
  signal: AbortSignal
}

/** The files of one attempt. */
export class JobFiles {
  readonly #job: JobFilesContext
  readonly #config: BucketConfig | undefined
  #bucket: JobBucket | undefined | null = null
  #count = 0

  constructor(job: JobFilesContext, config: BucketConfig | undefined) {
    this.#job = job
    this.#config = config
  }

  /** Puts `body` in the job's bucket; resolves to its URL, size and content type. */
  async upload(body: UploadBody, options: UploadOptions = {}): Promise<UploadedFile> {
    const contentType = options.contentType ?? defaultContentType(body)
    if (typeof contentType !== 'string' || contentType === '') throw new TypeError('job.upload: contentType must be a non-empty string')
    const bytes = bytesOrStream(body)
    const name = options.name === undefined ? `file-${++this.#count}${EXTENSIONS[contentType.split(';')[0]!.trim()] ?? ''}` : safeName(options.name)
    return this.#put(bytes, name, contentType)
  }

  /**
   * Puts an output's or a result's JSON in the bucket instead of the job's log; undefined when the
   * job has no bucket (it then fails over the limit, as without spill). Never throws: a bucket that
   * cannot be made rejects.
   */
  spill(json: string, name: string): Promise<UploadedFile> | undefined {
    try {
      if (this.#place() === undefined) return undefined
    } catch (error) {
      return Promise.reject(error)
    }
    return this.#put(new TextEncoder().encode(json), name, 'application/json')
  }

  async #put(body: Uint8Array | ReadableStream<Uint8Array>, name: string, contentType: string): Promise<UploadedFile> {
    const place = this.#place()
    if (place === undefined) {
      throw new UploadError(
        'job.upload has no bucket: send s3Config with the request, set the worker’s bucket option, or set BUCKET_ENDPOINT_URL, BUCKET_ACCESS_KEY_ID and BUCKET_SECRET_ACCESS_KEY'
      )
    }
    const { id, attempt, signal } = this.#job
    const key = `${place.prefix}${id}/${attempt > 1 ? `attempt-${attempt}/` : ''}${name}`
    try {
      const size = await place.bucket.put(key, body, contentType, signal)
      return { url: await place.bucket.urlOf(key), size, contentType }
    } catch (error) {
      throw new UploadError(scrubbed(`uploading ${name} failed: ${(error as Error).message}`, place.secrets), { cause: error })
    }
  }

  /** The job's bucket, chosen once; a bucket that cannot be made (a binding missing) is an UploadError. */
  #place(): JobBucket | undefined {
    if (this.#bucket !== null) return this.#bucket
    try {
      this.#bucket = bucketOfJob(this.#job.request, this.#config, this.#job.env)
    } catch (error) {
      throw new UploadError((error as Error).message)
    }
    return this.#bucket
  }
}

/** A name made safe as the last part of a key: no folder above the job's, no empty parts. */
function safeName(name: string): string {
  if (typeof name !== 'string') throw new TypeError('job.upload: name must be a string')
  const parts = name.split(/[\\/]+/).filter((part) => part !== '' && part !== '.' && part !== '..')
  if (parts.length === 0) throw new TypeError(`job.upload: name ${JSON.stringify(name)} names no file`)
  return parts.join('/')
}

/** A message with every secret replaced: S3's answers never hold one, but a message must not be trusted to. */
function scrubbed(message: string, secrets: string[]): string {
  return secrets.reduce((text, secret) => (secret.length >= 4 ? text.split(secret).join('***') : text), message)
}

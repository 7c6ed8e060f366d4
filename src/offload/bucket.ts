/**
 * Where files of jobs go: an S3-compatible bucket (`s3-bucket.ts`) or a Cloudflare R2 binding
 * (`r2-bucket.ts`), behind one small interface.
 * @module
 */

/** A bucket files can be put in and fetched from. */
export interface Bucket {
  /** Puts `body` under `key`; resolves to its size in bytes. Throws a `BucketRefusal` when it cannot. */
  put(key: string, body: Uint8Array | ReadableStream<Uint8Array>, contentType: string, signal?: AbortSignal): Promise<number>
  /** A URL the object can be fetched from with no credentials. */
  urlOf(key: string): Promise<string>
}

/**
 * A file in a bucket, as `job.upload` answers it and as an output or result spilled there stands
 * in the job's events and status: `{"url", "size", "contentType"}`.
 */
export interface UploadedFile {
  /** Where to fetch it with no credentials: a presigned GET, or the bucket's public URL. */
  url: string
  /** Its size in bytes. */
  size: number
  contentType: string
}

/** The URL of `key` under `base` (trailing slashes dropped), each segment of the key encoded. */
export function urlOfKey(base: string, key: string): string {
  return `${base.replace(/\/+$/, '')}/${key.split('/').map(encodeURIComponent).join('/')}`
}

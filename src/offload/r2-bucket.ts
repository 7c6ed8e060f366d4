/**
 * A Cloudflare R2 bucket through its Worker binding: no keys, no signing. A binding cannot presign
 * a URL, so the bucket's public URL (an r2.dev address or a custom domain) is what is handed out.
 * @module
 */
import type { Bucket } from './bucket.ts'
import { urlOfKey } from './bucket.ts'
import { putInParts } from './parts.ts'
import { BucketRefusal } from './retry.ts'

/** The part of Workers' `R2Bucket` used here. */
export interface R2BucketBinding {
  put(key: string, value: Uint8Array, options?: { httpMetadata?: { contentType?: string } }): Promise<unknown>
  createMultipartUpload(key: string, options?: { httpMetadata?: { contentType?: string } }): Promise<R2Upload>
  resumeMultipartUpload(key: string, uploadId: string): R2Upload
}

/** Workers' `R2MultipartUpload`. */
interface R2Upload {
  readonly uploadId: string
  uploadPart(partNumber: number, value: Uint8Array): Promise<{ partNumber: number; etag: string }>
  complete(parts: { partNumber: number; etag: string }[]): Promise<unknown>
  abort(): Promise<void>
}

/** The bucket behind `binding`, whose objects are public under `publicUrl`. */
export function r2Bucket(binding: R2BucketBinding, publicUrl: string, name: string): Bucket {
  const refused = (what: string, error: unknown) => new BucketRefusal(`${what} in R2 bucket ${name} failed: ${(error as Error).message}`, true)
  return {
    async put(key, body, contentType, signal) {
      const httpMetadata = { contentType }
      const call = async <T>(what: string, act: () => Promise<T>): Promise<T> => {
        try {
          return await act()
        } catch (error) {
          throw refused(what, error)
        }
      }
      return putInParts(
        body,
        {
          putWhole: (bytes) => call(`putting ${key}`, async () => void (await binding.put(key, bytes, { httpMetadata }))),
          start: () => call(`starting the upload of ${key}`, async () => (await binding.createMultipartUpload(key, { httpMetadata })).uploadId),
          part: (uploadId, partNumber, bytes) => call(`part ${partNumber} of ${key}`, () => binding.resumeMultipartUpload(key, uploadId).uploadPart(partNumber, bytes)),
          complete: (uploadId, parts) => call(`completing the upload of ${key}`, async () => void (await binding.resumeMultipartUpload(key, uploadId).complete(parts))),
          abort: (uploadId) => binding.resumeMultipartUpload(key, uploadId).abort(),
        },
        signal
      )
    },
    async urlOf(key) {
      return urlOfKey(publicUrl, key)
    },
  }
}

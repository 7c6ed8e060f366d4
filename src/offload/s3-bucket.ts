/**
 * An S3-compatible bucket (AWS S3, R2's S3 API, MinIO, ...) over `fetch`, each request signed with
 * SigV4 by aws4fetch. Objects are addressed path-style (`<endpoint>/<bucket>/<key>`), which every
 * S3-compatible service takes; the URL handed out is a presigned GET, or the bucket's public URL.
 * @module
 */
import { AwsClient } from 'aws4fetch'
import type { Bucket } from './bucket.ts'
import { urlOfKey } from './bucket.ts'
import { putInParts } from './parts.ts'
import type { PartTarget, UploadedPart } from './parts.ts'
import { BucketRefusal, isTransientStatus } from './retry.ts'

/** What an S3 bucket needs: RunPod's `s3Config` keys, and how its URLs are made. */
export interface S3BucketOptions {
  endpointUrl: string
  bucketName: string
  accessId: string
  accessSecret: string
  /** @default from the endpoint (`s3.<region>.amazonaws.com`, `auto` for R2), else `us-east-1` */
  region?: string | undefined
  /** Hand out `<publicUrl>/<key>` instead of presigned GETs (a public bucket, a CDN in front of it). */
  publicUrl?: string | undefined
  /** How long a presigned GET works, seconds (SigV4 allows at most 7 days). @default 604800 */
  urlExpiry?: number | undefined
}

/** SigV4's longest presigned URL, seconds: 7 days. */
export const MAX_URL_EXPIRY = 604_800

/** The region an endpoint names, for SigV4. */
export function regionOf(endpointUrl: string): string {
  const host = new URL(endpointUrl).hostname
  if (host.endsWith('.r2.cloudflarestorage.com')) return 'auto'
  return /(?:^|\.)s3[.-]([a-z0-9-]+)\.amazonaws\.com$/.exec(host)?.[1] ?? 'us-east-1'
}

/** The bucket `options` names. */
export function s3Bucket(options: S3BucketOptions): Bucket {
  const client = new AwsClient({
    accessKeyId: options.accessId,
    secretAccessKey: options.accessSecret,
    service: 's3',
    region: options.region ?? regionOf(options.endpointUrl),
    // Retries are edgepod's (retry.ts): aws4fetch's own would resend a stream it cannot resend.
    retries: 0,
  })
  const base = `${options.endpointUrl.replace(/\/+$/, '')}/${encodeURIComponent(options.bucketName)}`
  const objectUrl = (key: string) => urlOfKey(base, key)
  const where = `bucket ${options.bucketName} at ${new URL(options.endpointUrl).host}`

  /** A request to the bucket; refused answers become {@link BucketRefusal}s with S3's own reason. */
  const send = async (url: string, init: RequestInit, what: string): Promise<Response> => {
    let response: Response
    try {
      response = await client.fetch(url, init)
    } catch (error) {
      throw new BucketRefusal(`${what} in ${where} failed: ${(error as Error).message}${causeOf(error)}`, true)
    }
    if (response.ok) return response
    throw new BucketRefusal(`${what} in ${where} was refused: ${await reasonOf(response)}`, isTransientStatus(response.status))
  }

  return {
    async put(key, body, contentType, signal) {
      const url = objectUrl(key)
      const headers = { 'Content-Type': contentType }
      const target: PartTarget = {
        putWhole: async (bytes) => void (await send(url, { method: 'PUT', body: bytes as Uint8Array<ArrayBuffer>, headers, signal }, `putting ${key}`)).body?.cancel(),
        start: async () => {
          const answer = await (await send(`${url}?uploads`, { method: 'POST', headers, signal }, `starting the upload of ${key}`)).text()
          const id = /<UploadId>([^<]+)<\/UploadId>/.exec(answer)?.[1]
          if (id === undefined) throw new BucketRefusal(`starting the upload of ${key} in ${where}: no UploadId in the answer`, false)
          return id
        },
        part: async (uploadId, partNumber, bytes) => {
          const partUrl = `${url}?partNumber=${partNumber}&uploadId=${encodeURIComponent(uploadId)}`
          const answer = await send(partUrl, { method: 'PUT', body: bytes as Uint8Array<ArrayBuffer>, signal }, `part ${partNumber} of ${key}`)
          await answer.body?.cancel()
          const etag = answer.headers.get('ETag')
          if (etag === null) throw new BucketRefusal(`part ${partNumber} of ${key} in ${where}: no ETag in the answer`, false)
          return { partNumber, etag }
        },
        complete: async (uploadId, parts) => {
          const answer = await send(
            `${url}?uploadId=${encodeURIComponent(uploadId)}`,
            { method: 'POST', body: completionXml(parts), headers: { 'Content-Type': 'application/xml' }, signal },
            `completing the upload of ${key}`
          )
          // S3 may answer 200 with an error in the body, when it failed after it began to answer.
          const text = await answer.text()
          if (text.includes('<Error>')) throw new BucketRefusal(`completing the upload of ${key} in ${where}: ${errorOfXml(text)}`, true)
        },
        abort: async (uploadId) => void (await client.fetch(`${url}?uploadId=${encodeURIComponent(uploadId)}`, { method: 'DELETE' })).body?.cancel(),
      }
      return putInParts(body, target, signal)
    },

    async urlOf(key) {
      if (options.publicUrl !== undefined) return urlOfKey(options.publicUrl, key)
      const url = new URL(objectUrl(key))
      url.searchParams.set('X-Amz-Expires', String(options.urlExpiry ?? MAX_URL_EXPIRY))
      return (await client.sign(url, { method: 'GET', aws: { signQuery: true } })).url
    },
  }
}

function completionXml(parts: UploadedPart[]): string {
  const items = parts.map(({ partNumber, etag }) => `<Part><PartNumber>${partNumber}</PartNumber><ETag>${escapeXml(etag)}</ETag></Part>`)
  return `<CompleteMultipartUpload>${items.join('')}</CompleteMultipartUpload>`
}

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** S3's reason for a refusal: its error code and message (never the request, which is signed). */
async function reasonOf(response: Response): Promise<string> {
  const text = await response.text().catch(() => '')
  return `HTTP ${response.status}${text.includes('<Error>') ? ` ${errorOfXml(text)}` : ''}`
}

function errorOfXml(text: string): string {
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1]
  const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1]
  return [code, message].filter(Boolean).join(': ')
}

/** Node's fetch says only "fetch failed"; its cause says why (ECONNREFUSED, a certificate). */
function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause
  if (typeof cause?.code === 'string') return ` (${cause.code})`
  return typeof cause?.message === 'string' ? ` (${cause.message})` : ''
}

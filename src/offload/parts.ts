/**
 * A body of any length put into a bucket with bounded memory: a body that fits one part goes in one
 * request; a longer one (a stream whose length nobody knows) goes as a multipart upload, one part
 * in memory at a time, each part retried on its own, the upload aborted if it cannot finish.
 * @module
 */
import { joinBytes } from '../join-bytes.ts'
import { withRetries } from './retry.ts'

/**
 * The size of a part: S3 wants at least 5 MiB for every part but the last, and 8 MiB is what its
 * own tools send. A body up to this size goes in a single request.
 */
export const PART_BYTES = 8 * 1024 * 1024

/** One finished part of a multipart upload. */
export interface UploadedPart {
  partNumber: number
  etag: string
}

/** What a bucket does for {@link putInParts}: S3 over HTTP, or an R2 binding. */
export interface PartTarget {
  /** Puts a whole body at once. */
  putWhole(bytes: Uint8Array): Promise<void>
  /** Starts a multipart upload; answers its id. */
  start(): Promise<string>
  /** Uploads part `partNumber` (from 1). */
  part(uploadId: string, partNumber: number, bytes: Uint8Array): Promise<UploadedPart>
  /** Joins the parts into the object. */
  complete(uploadId: string, parts: UploadedPart[]): Promise<void>
  /** Gives up a multipart upload, so that its parts are not kept (and billed). */
  abort(uploadId: string): Promise<void>
}

/** Puts `body` through `target`; resolves to its size in bytes. */
export async function putInParts(body: Uint8Array | ReadableStream<Uint8Array>, target: PartTarget, signal?: AbortSignal): Promise<number> {
  if (body instanceof Uint8Array && body.byteLength <= PART_BYTES) {
    await withRetries(() => target.putWhole(body), signal)
    return body.byteLength
  }
  const parts = partsOf(body)
  const first = await parts.next()
  const second = first.done ? first : await parts.next()
  if (second.done) {
    // It all fits one part: one request with a known length.
    const whole = first.done ? new Uint8Array() : first.value
    await withRetries(() => target.putWhole(whole), signal)
    return whole.byteLength
  }
  const uploadId = await withRetries(() => target.start(), signal)
  try {
    const uploaded: UploadedPart[] = []
    let size = 0
    // The two parts read to tell a multipart upload from a single one come first.
    const read = [first, second]
    const nextPart = async () => read.shift() ?? (await parts.next())
    for (let part = await nextPart(); !part.done; part = await nextPart()) {
      const bytes = part.value
      const partNumber = uploaded.length + 1
      uploaded.push(await withRetries(() => target.part(uploadId, partNumber, bytes), signal))
      size += bytes.byteLength
    }
    await withRetries(() => target.complete(uploadId, uploaded), signal)
    return size
  } catch (error) {
    await target.abort(uploadId).catch(() => {})
    await parts.return?.(undefined)
    throw error
  }
}

/** The body cut into parts of {@link PART_BYTES} (the last one shorter), read as they are needed. */
async function* partsOf(body: Uint8Array | ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (body instanceof Uint8Array) {
    for (let start = 0; start < body.byteLength; start += PART_BYTES) yield body.subarray(start, start + PART_BYTES)
    return
  }
  const reader = body.getReader()
  let chunks: Uint8Array[] = []
  let held = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      chunks.push(value)
      held += value.byteLength
      while (held >= PART_BYTES) {
        const joined = joinBytes(chunks, held)
        yield joined.subarray(0, PART_BYTES)
        chunks = held > PART_BYTES ? [joined.subarray(PART_BYTES)] : []
        held -= PART_BYTES
      }
    }
    if (held > 0) yield joinBytes(chunks, held)
  } finally {
    // An upload that stopped early lets the producer know: its stream is cancelled, not left hanging.
    await reader.cancel().catch(() => {})
  }
}

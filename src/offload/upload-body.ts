/**
 * What `job.upload` takes, and how each kind is read: bytes and strings as they are, a `Blob` or a
 * `ReadableStream` chunk by chunk, never whole in memory.
 * @module
 */

/** What a file uploaded from a handler can be made of. */
export type UploadBody = string | Uint8Array | ArrayBuffer | Blob | ReadableStream<Uint8Array>

/** The content type a body gets when the caller names none. */
export function defaultContentType(body: UploadBody): string {
  if (typeof body === 'string') return 'text/plain; charset=utf-8'
  if (body instanceof Blob && body.type !== '') return body.type
  return 'application/octet-stream'
}

/** The body as bytes when it is already whole in memory, else as a stream of them. */
export function bytesOrStream(body: UploadBody): Uint8Array | ReadableStream<Uint8Array> {
  if (typeof body === 'string') return new TextEncoder().encode(body)
  if (body instanceof Uint8Array) return body
  if (body instanceof ArrayBuffer) return new Uint8Array(body)
  if (body instanceof Blob) return body.stream()
  if (body instanceof ReadableStream) return body
  throw new TypeError('job.upload takes a string, a Uint8Array, an ArrayBuffer, a Blob or a ReadableStream of bytes')
}

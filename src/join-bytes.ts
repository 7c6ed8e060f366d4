/**
 * Chunks of bytes joined into one array, for the places that gather a body before using it whole
 * (a request's JSON, a part of an upload).
 * @module
 */

/** The chunks, `size` bytes in all, as one array (the chunk itself when there is only one). */
export function joinBytes(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1 && chunks[0]!.byteLength === size) return chunks[0]!
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}

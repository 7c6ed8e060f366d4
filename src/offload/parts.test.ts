/**
 * How a body is cut into parts: what fits one part goes in one request; a longer stream goes part
 * by part with at most two parts read ahead of what is uploaded; a part that fails transiently is
 * sent again on its own; an upload that cannot finish is aborted and its stream cancelled. The
 * target records what it is asked (the S3 and R2 buckets are tested against real servers).
 */
import { describe, expect, it } from 'vitest'
import { PART_BYTES, putInParts } from './parts.ts'
import type { PartTarget } from './parts.ts'
import { BucketRefusal } from './retry.ts'

const MiB = 1024 * 1024

/** A stream of `chunks` chunks of 1 MiB, counting the bytes pulled from it, and whether it was cancelled. */
function countedStream(chunks: number) {
  const state = { pulled: 0, cancelled: false }
  let sent = 0
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent === chunks) return controller.close()
      controller.enqueue(new Uint8Array(MiB).fill(sent++ % 256))
      state.pulled += MiB
    },
    cancel() {
      state.cancelled = true
    },
  })
  return { stream, state }
}

/** A target that records its calls; `failPart` makes a part number throw that many times first. */
function recordingTarget(state: { pulled: number }, failPart: Record<number, { times: number; transient: boolean }> = {}) {
  const calls: string[] = []
  let uploaded = 0
  let mostAhead = 0
  const target: PartTarget = {
    putWhole: async (bytes) => void calls.push(`whole ${bytes.byteLength}`),
    start: async () => (calls.push('start'), 'upload-1'),
    part: async (_id, partNumber, bytes) => {
      mostAhead = Math.max(mostAhead, state.pulled - uploaded)
      const failing = failPart[partNumber]
      if (failing && failing.times-- > 0) {
        calls.push(`part ${partNumber} failed`)
        throw new BucketRefusal(`part ${partNumber} refused`, failing.transient)
      }
      uploaded += bytes.byteLength
      calls.push(`part ${partNumber} ${bytes.byteLength / MiB} MiB`)
      return { partNumber, etag: `"etag-${partNumber}"` }
    },
    complete: async (_id, parts) => void calls.push(`complete ${parts.map((part) => part.etag).join(',')}`),
    abort: async () => void calls.push('abort'),
  }
  return { target, calls, mostAhead: () => mostAhead }
}

describe('putting a body in parts', () => {
  it('sends a body that fits one part in one request, even a stream of unknown length', async () => {
    const { stream, state } = countedStream(3)
    const { target, calls } = recordingTarget(state)
    expect(await putInParts(stream, target)).toBe(3 * MiB)
    expect(calls).toEqual([`whole ${3 * MiB}`])
  })

  it('sends a longer stream part by part, with at most two parts read ahead of the upload', async () => {
    const { stream, state } = countedStream(20)
    const { target, calls, mostAhead } = recordingTarget(state)
    expect(await putInParts(stream, target)).toBe(20 * MiB)
    expect(calls).toEqual(['start', 'part 1 8 MiB', 'part 2 8 MiB', 'part 3 4 MiB', 'complete "etag-1","etag-2","etag-3"'])
    expect(mostAhead()).toBeLessThanOrEqual(2 * PART_BYTES + MiB)
  })

  it('sends a part that failed transiently again on its own, and aborts an upload refused for good, cancelling its stream', async () => {
    const first = countedStream(17)
    const retried = recordingTarget(first.state, { 2: { times: 1, transient: true } })
    expect(await putInParts(first.stream, retried.target)).toBe(17 * MiB)
    expect(retried.calls).toEqual(['start', 'part 1 8 MiB', 'part 2 failed', 'part 2 8 MiB', 'part 3 1 MiB', 'complete "etag-1","etag-2","etag-3"'])

    const second = countedStream(40)
    const refused = recordingTarget(second.state, { 2: { times: 1, transient: false } })
    await expect(putInParts(second.stream, refused.target)).rejects.toThrow('part 2 refused')
    expect(refused.calls).toEqual(['start', 'part 1 8 MiB', 'part 2 failed', 'abort'])
    expect(second.state.cancelled).toBe(true)
    expect(second.state.pulled).toBeLessThan(40 * MiB)
  })
})

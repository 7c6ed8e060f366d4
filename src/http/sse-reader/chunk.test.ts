import { describe, expect, it } from 'vitest'
import type { LogEventType } from '../../store/job-state.ts'
import type { LogRead } from '../../store/store.ts'
import { Chunk, MAX_CHUNK_CHARS } from './chunk.ts'

type Event = [type: LogEventType, json: string]
/** A read of `events`, the first numbered `first`. */
const readOf = (first: number, ...events: Event[]): LogRead => ({
  first,
  types: events.map(([type]) => type),
  jsons: events.map(([, json]) => json),
  lastSeq: first + events.length - 1,
  ended: false,
})

describe('Chunk', () => {
  it('frames events after its cursor exactly, and moves the cursor to the last one', () => {
    const chunk = new Chunk(1)
    expect(chunk.add(readOf(1, ['output', '"old"'], ['output', '"a"'], ['progress', '{"p":1}']))).toBe(true)
    expect(chunk.text).toBe('id: 2\nevent: output\ndata: "a"\n\nid: 3\nevent: progress\ndata: {"p":1}\n\n')
    expect(chunk).toMatchObject({ cursor: 3, done: false, full: false })
  })

  it('ends at done: nothing after it belongs to the stream', () => {
    const chunk = new Chunk(0)
    expect(chunk.add(readOf(1, ['done', '{"status":"COMPLETED"}'], ['output', '"after"']))).toBe(false)
    expect(chunk.text).toBe('id: 1\nevent: done\ndata: {"status":"COMPLETED"}\n\n')
    expect(chunk).toMatchObject({ cursor: 1, done: true, full: true })
  })

  it('stops taking events once full, and says the rest of the read is left for the next chunk', () => {
    const big = `"${'x'.repeat(MAX_CHUNK_CHARS / 2)}"`
    const read = readOf(1, ['output', big], ['output', big], ['output', big])
    const chunk = new Chunk(0)
    expect(chunk.add(read)).toBe(false)
    expect(chunk.cursor).toBe(2)
    expect(chunk.full).toBe(true)
    // The next chunk takes the same read on from its cursor.
    const next = new Chunk(chunk.cursor)
    expect(next.add(read)).toBe(true)
    expect(next.text).toBe(`id: 3\nevent: output\ndata: ${big}\n\n`)
  })
})

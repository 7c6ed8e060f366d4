import { describe, expect, it } from 'vitest'
import { Chunk, MAX_CHUNK_CHARS } from './chunk.ts'

const event = (seq: number, type: 'output' | 'progress' | 'done', json: string) => ({ seq, type, json })

describe('Chunk', () => {
  it('frames events after its cursor exactly, and moves the cursor to the last one', () => {
    const chunk = new Chunk(1)
    chunk.add([event(1, 'output', '"old"'), event(2, 'output', '"a"'), event(3, 'progress', '{"p":1}')])
    expect(chunk.text).toBe('id: 2\nevent: output\ndata: "a"\n\nid: 3\nevent: progress\ndata: {"p":1}\n\n')
    expect(chunk).toMatchObject({ cursor: 3, done: false, full: false })
  })

  it('ends at done: nothing after it belongs to the stream', () => {
    const chunk = new Chunk(0)
    chunk.add([event(1, 'done', '{"status":"COMPLETED"}'), event(2, 'output', '"after"')])
    expect(chunk.text).toBe('id: 1\nevent: done\ndata: {"status":"COMPLETED"}\n\n')
    expect(chunk).toMatchObject({ cursor: 1, done: true, full: true })
  })

  it('stops taking events once full, leaving the rest for the next chunk', () => {
    const big = `"${'x'.repeat(MAX_CHUNK_CHARS / 2)}"`
    const chunk = new Chunk(0)
    chunk.add([event(1, 'output', big), event(2, 'output', big), event(3, 'output', big)])
    expect(chunk.cursor).toBe(2)
    expect(chunk.full).toBe(true)
    expect(chunk.room).toBe(1)
  })
})

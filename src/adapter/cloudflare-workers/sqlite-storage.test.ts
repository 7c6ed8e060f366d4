import { describe, expect, it } from 'vitest'
import { MemoryStorage } from '../../../test/helpers/durable-objects-in-memory.ts'
import { sqliteStorage } from './sqlite-storage.ts'

/** The synchronous key-value API of a SQLite-backed object, over a map. */
function syncKv() {
  const data = new Map<string, unknown>()
  return {
    data,
    get: <T>(key: string) => structuredClone(data.get(key)) as T | undefined,
    put: (key: string, value: unknown) => void data.set(key, structuredClone(value)),
    delete: (key: string) => data.delete(key),
    list: <T>({ prefix }: { prefix: string }) => [...data].filter(([key]) => key.startsWith(prefix)).sort() as Array<[string, T]>,
  }
}

describe('sqliteStorage', () => {
  it('writes through the synchronous API of a SQLite-backed object at once, before any promise settles', async () => {
    const kv = syncKv()
    const storage = sqliteStorage(Object.assign(new MemoryStorage(), { kv }))
    void storage.put({ 'log:a:1': [[1, 'output', '"x"']], 'job:a': { n: Infinity } })
    // Made in the same turn: nothing awaited yet.
    expect([...kv.data.keys()]).toEqual(['log:a:1', 'job:a'])
    expect(await storage.get('job:a')).toEqual({ n: Infinity })
    expect([...(await storage.list({ prefix: 'log:' })).keys()]).toEqual(['log:a:1'])
    expect(await storage.delete(['job:a', 'nothing'])).toBe(1)
  })

  it('leaves a storage without it (a KV-backed class) as it is', () => {
    const storage = new MemoryStorage()
    expect(sqliteStorage(storage)).toBe(storage)
  })
})

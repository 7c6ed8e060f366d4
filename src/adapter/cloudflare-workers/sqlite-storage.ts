/**
 * A Durable Object's storage as edgepod uses it, through the synchronous key-value API of a
 * SQLite-backed object (`ctx.storage.kv`, which keeps values in the object's SQLite database) when
 * the object has it: a write is made in SQLite the moment it is asked for, in the turn that shows
 * its events to a reader, and the platform commits it before any answer of that turn leaves. An
 * object without it (a KV-backed class) gets the asynchronous API, whose writes the platform's
 * output gate covers alike.
 * @module
 */
import type { DurableStorageLike } from './durable-rows.ts'

/** The synchronous key-value API of a SQLite-backed Durable Object. */
interface SyncKv {
  get<T>(key: string): T | undefined
  put(key: string, value: unknown): void
  delete(key: string): boolean
  list<T>(options: { prefix: string }): Iterable<[string, T]>
}

/** `storage`, with its writes and reads made in SQLite at once when it is SQLite-backed. */
export function sqliteStorage(storage: DurableStorageLike & { kv?: SyncKv }): DurableStorageLike {
  const kv = storage.kv
  if (!kv) return storage
  return {
    get: async <T>(key: string) => kv.get<T>(key),
    put(entries) {
      for (const [key, value] of Object.entries(entries)) kv.put(key, value)
      return Promise.resolve()
    },
    delete(keys) {
      let deleted = 0
      for (const key of keys) if (kv.delete(key)) deleted++
      return Promise.resolve(deleted)
    },
    list: async <T>(options: { prefix: string }) => new Map(kv.list<T>(options)),
    getAlarm: () => storage.getAlarm(),
    setAlarm: (time) => storage.setAlarm(time),
    deleteAlarm: () => storage.deleteAlarm(),
  }
}

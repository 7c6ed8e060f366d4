/**
 * The doorbell of a Redis deployment: one channel every member subscribes to, on its one
 * subscription connection, where the store's scripts announce appends (`a:<id>:<last seq>`), ends and
 * deletions (`e:<id>`), new work (`w`), cancels (`c:<id>:<attempt>`) and webhooks to send (`o`).
 * Pub/sub drops messages (a reconnection, a full buffer): a ring only makes a member look sooner.
 * Nothing relies on it; whoever listens also looks on a timer, and after a reconnection.
 * @module
 */
import type { RedisClient } from './redis-client.ts'

/** What a member hears on the doorbell. */
export interface BellListeners {
  /** The job's log grew to `lastSeq`, or (undefined) the job ended or is gone. */
  job(id: string, lastSeq: number | undefined): void
  work(): void
  cancel(id: string, attempt: number): void
  outbox(): void
  /** The subscription was lost and is back: rings may have been missed. */
  reconnected(): void
}

/** Subscribes `listeners` to the doorbell `channel`; resolves once subscribed. */
export function listenToBell(client: RedisClient, channel: string, listeners: BellListeners): Promise<void> {
  return client.subscribe(
    channel,
    (message) => {
      const kind = message.charCodeAt(0)
      // a, e, w, c, o: the first letter says which; an id never holds ':'.
      if (kind === 97) {
        const separator = message.lastIndexOf(':')
        listeners.job(message.slice(2, separator), Number(message.slice(separator + 1)))
      } else if (kind === 101) listeners.job(message.slice(2), undefined)
      else if (kind === 119) listeners.work()
      else if (kind === 111) listeners.outbox()
      else if (kind === 99) {
        const separator = message.lastIndexOf(':')
        listeners.cancel(message.slice(2, separator), Number(message.slice(separator + 1)))
      }
    },
    () => listeners.reconnected()
  )
}

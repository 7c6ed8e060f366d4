/**
 * A store that is still opening: `serverless.start` is synchronous, and a store chosen from the
 * environment (Redis) is loaded and connected after it returns. Every call waits for the store;
 * what the engine must know at once (the lease length, that the store is shared) is given ahead.
 * @module
 */
import type { Dispatcher, JobStore, Store, WebhookOutbox } from './store.ts'

/** What is known of the store before it is open. */
export interface KnownAhead {
  leaseMs: number
  /** The outbox's hold, for a store that has one. */
  holdMs: number | undefined
}

/** `opening`'s store, usable at once. A store that fails to open fails every call with its error. */
export function deferredStore(opening: Promise<Store>, known: KnownAhead): Store {
  let store: Store | undefined
  const ready = opening.then((opened) => (store = opened))
  // An opening that failed is reported by every call; this one keeps it from being unhandled.
  ready.catch(() => {})
  const use = <T>(call: (opened: Store) => T | Promise<T>): T | Promise<T> => (store ? call(store) : ready.then(call))
  /** Runs `call` on the store now, or once it is open; a store that failed wakes `wake` instead, if given. */
  const whenOpen = (call: (opened: Store) => void, wake?: () => void) => {
    if (store) return call(store)
    void ready.then(call, () => wake?.())
  }

  const jobs: JobStore = {
    create: (job) => use((opened) => opened.jobs.create(job)),
    get: (id) => use((opened) => opened.jobs.get(id)),
    read: (id, after, maxChars) => use((opened) => opened.jobs.read(id, after, maxChars)),
    watch: (id, after, wake) => whenOpen((opened) => opened.jobs.watch(id, after, wake), wake),
    unwatch: (id, wake) => whenOpen((opened) => opened.jobs.unwatch(id, wake)),
    watchEnd(id, wake) {
      if (store) return store.jobs.watchEnd(id, wake)
      let stop: (() => void) | undefined
      let stopped = false
      void ready.then(
        (opened) => {
          if (!stopped) stop = opened.jobs.watchEnd(id, wake)
        },
        () => wake()
      )
      return () => {
        stopped = true
        stop?.()
      }
    },
    start: (lease, workerId, startedAt) => use((opened) => opened.jobs.start(lease, workerId, startedAt)),
    finish: (id, attempt, ending) => use((opened) => opened.jobs.finish(id, attempt, ending)),
    retry: (id, attempt, queuedAt) => use((opened) => opened.jobs.retry(id, attempt, queuedAt)),
    markDrained: (id, attempt, seq) => use((opened) => opened.jobs.markDrained(id, attempt, seq)),
    readers: (id, change) => use((opened) => opened.jobs.readers(id, change)),
    delete: (id) => use((opened) => opened.jobs.delete(id)),
  }

  /** Registers a listener now or once open; the returned function unregisters it, either way. */
  const listen = <L>(register: (opened: Store, listener: L) => () => void) => (listener: L) => {
    let stop: (() => void) | undefined
    let stopped = false
    whenOpen((opened) => {
      if (!stopped) stop = register(opened, listener)
    })
    return () => {
      stopped = true
      stop?.()
    }
  }

  const dispatcher: Dispatcher = {
    leaseMs: known.leaseMs,
    enqueue: (entry, limit) => use((opened) => opened.dispatcher.enqueue(entry, limit)),
    claim: (max) => use((opened) => opened.dispatcher.claim(max)),
    renew: (leases) => use((opened) => opened.dispatcher.renew(leases)),
    release: (lease) => use((opened) => opened.dispatcher.release(lease)),
    deliverCancel: (id, attempt) => use((opened) => opened.dispatcher.deliverCancel(id, attempt)),
    onCancel: listen((opened, listener: (id: string, attempt: number) => void) => opened.dispatcher.onCancel(listener)),
    onWork: listen((opened, listener: () => void) => opened.dispatcher.onWork(listener)),
    purge: () => use((opened) => opened.dispatcher.purge()),
    health: (local) => use((opened) => opened.dispatcher.health(local)),
    sweep: (local) => use((opened) => opened.dispatcher.sweep?.(local) ?? []),
  }

  const holdMs = known.holdMs
  const outbox: WebhookOutbox | undefined = holdMs === undefined
    ? undefined
    : {
        holdMs,
        take: (max) => use((opened) => opened.outbox?.take(max) ?? []),
        hold: (entries) => use((opened) => opened.outbox?.hold(entries)),
        done: (entry) => use((opened) => opened.outbox?.done(entry)),
        onEntry: listen((opened, listener: () => void) => opened.outbox?.onEntry(listener) ?? (() => {})),
      }

  return {
    jobs,
    dispatcher,
    outbox,
    close: async () => {
      const opened = await ready.catch(() => undefined)
      await opened?.close?.()
    },
  }
}

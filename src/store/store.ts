/**
 * The store interface: where a worker's jobs live, so that the engine keeps in the process only
 * what truly lives there (a running handler, its signal, its slot, its timers). It has two parts:
 *
 * - {@link JobStore}, the job and its log: one record per job with its current attempt, and the
 *   append-only log every reader shares (outputs, progress, `done`).
 * - {@link Dispatcher}, the queue of the deployment: which jobs wait, who runs what under which
 *   lease, the counts `/health` reports, and cancels sent to whichever process runs a job.
 *
 * The in-memory store (`memory/`) implements both for one process; a store shared by several
 * processes (Redis) or split across objects (Durable Objects) implements the same contract, which
 * `test/store-contract.ts` checks. Methods return {@link Awaitable}s: the in-memory store answers
 * at once, without a promise, so that a token stream's one append per yield costs no microtask,
 * and a remote store answers with a promise.
 * @module
 */
import type { Awaitable } from '../awaitable.ts'
import type { HealthReport } from '../types.ts'
import type { EventBatch, Ending, JobState, Lease, LogEvent, LogEventType, NewJob } from './job-state.ts'

export type { Awaitable } from '../awaitable.ts'

/**
 * What one read of a log found: its events in columns (`types[i]` and `jsons[i]` are the event
 * numbered `first + i`), not an object each, since a reader takes thousands at a time.
 */
export interface LogRead {
  /** The seq of the first event read. */
  readonly first: number
  readonly types: readonly LogEventType[]
  readonly jsons: readonly string[]
  /** The seq of the log's last event when it was read. */
  readonly lastSeq: number
  /** True when the current attempt's `done` is in the log. */
  readonly ended: boolean
}

/** The events of a read, an object each: for readers that take a few. */
export function eventsOf(read: LogRead | undefined): LogEvent[] {
  if (!read) return []
  return read.jsons.map((json, index) => ({ seq: read.first + index, type: read.types[index]!, json }))
}

/**
 * The writer of one running attempt, held by the process that runs it. Every write is made under
 * the attempt's lease and refused once the lease is lost (the job was ended by someone else,
 * retried, or its owner stalled past its lease).
 */
export interface AttemptWriter {
  readonly lease: Lease
  /** The job as it was when it started. */
  readonly job: JobState
  /** The handler returned a stream: from now on its output is the stream's aggregate. */
  streaming(): Awaitable<boolean>
  /**
   * Appends events to the log; false, appending nothing, once the lease is lost. The store takes
   * what it needs of `batch` before it returns: the caller may reuse it at once.
   */
  append(batch: EventBatch): Awaitable<boolean>
  /**
   * The UTF-8 bytes of this attempt's outputs from the `index`th one on (0-based), each counted
   * with one separator byte: the exact size that `maxResultBytes` bounds, measured only near it.
   */
  outputBytesFrom(index: number): Awaitable<number>
  /** Ends the attempt with its `done` event; undefined when it had already ended or the lease is lost. */
  finish(ending: Ending): Awaitable<JobState | undefined>
}

/** The jobs of a deployment and their logs. */
export interface JobStore {
  /** Creates a job: attempt 1, `IN_QUEUE`, an empty log. */
  create(job: NewJob): Awaitable<JobState>
  /** The job, or undefined when there is none (never created, or deleted at its ttl). */
  get(id: string): Awaitable<JobState | undefined>
  /**
   * The current attempt's events after `after` (all of them when `after` is before the attempt),
   * up to about `maxChars` of JSON (at least one event when there is one); undefined for no job.
   */
  read(id: string, after: number, maxChars?: number): Awaitable<LogRead | undefined>
  /**
   * Calls `wake` once when the log has an event after `after`, the attempt ends, or the job is
   * gone (at once when one of those is already so). A reader that leaves before then must
   * {@link JobStore.unwatch} it, so a quiet job holds nothing of it.
   */
  watch(id: string, after: number, wake: () => void): void
  /** Stops a {@link JobStore.watch} of `wake` on the job, if it has not woken yet. */
  unwatch(id: string, wake: () => void): void
  /** Calls `wake` once when the current attempt ends (at once if it has, or there is no job). */
  watchEnd(id: string, wake: () => void): () => void
  /**
   * Starts the leased attempt: `IN_QUEUE` to `IN_PROGRESS` under `lease`. Undefined, changing
   * nothing, when that attempt is no longer queued (cancelled, purged, expired, or retried since).
   */
  start(lease: Lease, workerId: string, startedAt: number): Awaitable<AttemptWriter | undefined>
  /**
   * Ends attempt `attempt` with its `done` event, whoever asks (a cancel, a timeout, a lost
   * worker), exactly once: undefined when it has already ended or is not the current attempt.
   */
  finish(id: string, attempt: number, ending: Ending): Awaitable<JobState | undefined>
  /**
   * Starts attempt `attempt + 1` of a job whose attempt `attempt` ended `FAILED` or `TIMED_OUT`:
   * `IN_QUEUE` again, same id and request, the log's numbering going on. Undefined when the job is
   * not in that state (another retry came first).
   */
  retry(id: string, attempt: number, queuedAt: number): Awaitable<JobState | undefined>
  /** A draining polled read of attempt `attempt` returned everything up to `seq`. */
  markDrained(id: string, attempt: number, seq: number): Awaitable<void>
  /** Adds `change` (+1, -1 or 0) to the job's live readers; answers how many there are now. */
  readers(id: string, change: -1 | 0 | 1): Awaitable<number>
  /** Forgets the job and its log (its retention has run out). */
  delete(id: string): Awaitable<void>
}

/** A place in the queue, for one attempt of a job. */
export interface QueueEntry {
  readonly id: string
  readonly attempt: number
  /** Queued behind every entry that is not low priority. */
  readonly lowPriority: boolean
}

/** The `workers` part of `/health`: this process's slots, or the deployment's. */
export interface WorkerCounts {
  idle: number
  running: number
}

/** The queue and the leases of a deployment. */
export interface Dispatcher {
  /**
   * How long a lease lasts unless renewed, ms. `Infinity` when the store lives and dies with the
   * process that runs the jobs, so there is nothing to renew.
   */
  readonly leaseMs: number
  /**
   * Queues an attempt that the job store holds `IN_QUEUE`. Throws a `queue_full` error when `limit`
   * other attempts are waiting already (`Infinity` for a job that starts at once, which never waits
   * behind the limit).
   */
  enqueue(entry: QueueEntry, limit: number): Awaitable<void>
  /**
   * Takes up to `max` queued entries, FIFO with low priority after, each under a new lease, for
   * this process's free slots. An entry whose attempt has ended since may still be handed out:
   * {@link JobStore.start} refuses it.
   */
  claim(max: number): Awaitable<Lease[]>
  /** Extends these leases; answers the ones that are lost, whose handlers must stop. */
  renew(leases: readonly Lease[]): Awaitable<Lease[]>
  /** The lease's handler has finished (or run out of cleanup time): its slot is free. */
  release(lease: Lease): Awaitable<void>
  /** Tells whichever process runs attempt `attempt` of `id` that the attempt has ended. */
  deliverCancel(id: string, attempt: number): Awaitable<void>
  /** Listens for {@link Dispatcher.deliverCancel}s; returns the function that stops listening. */
  onCancel(listener: (id: string, attempt: number) => void): () => void
  /** Listens for new work that may be claimable; returns the function that stops listening. */
  onWork(listener: () => void): () => void
  /** Empties the queue; answers what was in it (entries of ended attempts included). */
  purge(): Awaitable<QueueEntry[]>
  /** RunPod's `/health`: the deployment's job counts, and `local`, this process's slots. */
  health(local: WorkerCounts): Awaitable<HealthReport>
  /**
   * Only a store shared by processes has it; each of them calls it every third of a lease. It
   * records this process's slots (`/health` sums every live process's), and answers the attempts
   * that processes which are gone, or late, left behind, for this one to end: a running attempt
   * whose lease ran out (`lost`) or whose execution deadline passed (`timeout`), a queued one
   * whose ttl passed (`ttl`). Several processes may be answered the same attempt:
   * {@link JobStore.finish} ends it once.
   */
  sweep?(local: WorkerCounts): Awaitable<DueAttempt[]>
  /**
   * Only a dispatcher whose queued jobs live in other stores has it (a coordinator of per-job
   * Durable Objects): `/purge-queue` then empties the queue and has each job ended where it lives,
   * answering how many it removed, instead of {@link Dispatcher.purge}.
   */
  purgeElsewhere?(): Awaitable<number>
}

/**
 * True for the dispatcher of a store shared by processes (Redis): only such a dispatcher sweeps
 * for the processes that are gone. The one test of it, for the engine, its routes and the fleet.
 */
export function isShared(dispatcher: Dispatcher): dispatcher is Dispatcher & Required<Pick<Dispatcher, 'sweep'>> {
  return typeof dispatcher.sweep === 'function'
}

/** An attempt a {@link Dispatcher.sweep} found due, and why. */
export interface DueAttempt {
  readonly id: string
  readonly attempt: number
  readonly reason: 'lost' | 'timeout' | 'ttl'
}

/**
 * The webhooks of ended attempts, kept by a store shared by processes: an entry is added by the
 * same write that ends an attempt whose request names a webhook, so no end goes without its
 * delivery even when the process that ended it dies; a process takes entries, delivers them, and
 * removes them. An entry taken and not kept {@link WebhookOutbox.hold | held} goes back to the
 * others after `holdMs`.
 */
export interface WebhookOutbox {
  /** How long a taken entry stays this process's without being held again, ms. */
  readonly holdMs: number
  /** Takes up to `max` entries no process holds. */
  take(max: number): Awaitable<OutboxEntry[]>
  /** Keeps `entries`, still being delivered, this process's for another `holdMs`. */
  hold(entries: readonly OutboxEntry[]): Awaitable<void>
  /** The delivery ended (delivered, or given up): the entry is gone. */
  done(entry: OutboxEntry): Awaitable<void>
  /** Listens for new entries; returns the function that stops listening. */
  onEntry(listener: () => void): () => void
}

/** One webhook to deliver: the end of attempt `attempt` of job `id`. */
export interface OutboxEntry {
  readonly id: string
  readonly attempt: number
}

/** A store: both parts, for one deployment. */
export interface Store {
  readonly jobs: JobStore
  readonly dispatcher: Dispatcher
  /** Only a store shared by processes has it: webhooks are then sent from it, by any process. */
  readonly outbox?: WebhookOutbox | undefined
  /** Lets go of what the store holds open (connections, timers); an in-memory store has nothing to close. */
  close?(): Promise<void>
  /** The id of the job submitted next, for a store that holds one job whose id is chosen before (a Durable Object of its own). @default a random UUID */
  newJobId?(): string
}

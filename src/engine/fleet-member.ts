/**
 * What a process does for its fleet when its store is shared by processes (Redis): it sweeps the
 * store for attempts others left behind, and sends webhooks from the store's outbox. With a store
 * of its own (in memory, a Durable Object) it does neither: it ends and announces its jobs itself.
 * @module
 */
import type { Store, WorkerCounts } from '../store/store.ts'
import { isShared } from '../store/store.ts'
import type { JobState } from '../store/job-state.ts'
import { FleetSweeper } from './fleet-sweeper.ts'
import type { JobContexts } from './job-contexts.ts'
import { OutboxDeliveries } from './webhook-outbox.ts'
import type { WebhookSender } from './webhook-sender.ts'

/** This process's part in a fleet: stopped with `close()`. */
export interface FleetMember {
  /** Stops its sweeps and its deliveries from the outbox; running jobs and deliveries go on. */
  close(): void
}

/** What a member works with: the engine's parts. */
export interface FleetMemberDeps {
  store: Store
  webhooks: WebhookSender
  contexts: JobContexts
  /** This process's slots now. */
  local(): WorkerCounts
  /** A job's ttl and execution timeout, as the engine applies them. */
  limitsOf(job: JobState): { ttl: number; executionTimeout: number }
  /** This process ended an attempt (for one another member left behind). */
  ended(job: JobState): void
}

/** Joins the fleet of `deps.store`: undefined for a store that is this process's alone. */
export function joinFleet(deps: FleetMemberDeps): FleetMember | undefined {
  const { jobs, dispatcher, outbox } = deps.store
  if (!isShared(dispatcher)) return undefined
  const sweeper = new FleetSweeper({ jobs, dispatcher, local: deps.local, limitsOf: deps.limitsOf, ended: deps.ended })
  const deliveries = outbox && new OutboxDeliveries(outbox, jobs, deps.webhooks, deps.contexts)
  return {
    close() {
      sweeper.close()
      deliveries?.close()
    },
  }
}

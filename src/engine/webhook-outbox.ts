/**
 * Webhooks from a store's outbox (a store shared by processes): whichever member is free takes an
 * ended attempt's delivery, holds it while it delivers (retries included), and removes it once it
 * is delivered or given up. A member that dies mid-delivery stops holding it, and another member
 * delivers it again after the hold runs out, under the same `webhook-id`.
 * @module
 */
import { hasEnded } from '../store/job-state.ts'
import type { JobStore, OutboxEntry, WebhookOutbox } from '../store/store.ts'
import type { JobContexts } from './job-contexts.ts'
import type { WebhookSender } from './webhook-sender.ts'

/** How many deliveries one member makes at once from the outbox. */
const AT_ONCE = 32

/** Delivers a shared store's webhooks from this member. */
export class OutboxDeliveries {
  readonly #outbox: WebhookOutbox
  readonly #jobs: JobStore
  readonly #sender: WebhookSender
  readonly #contexts: JobContexts
  readonly #underWay = new Map<string, OutboxEntry>()
  readonly #stopListening: () => void
  #timer: ReturnType<typeof setInterval>
  #taking = false
  #again = false

  constructor(outbox: WebhookOutbox, jobs: JobStore, sender: WebhookSender, contexts: JobContexts) {
    this.#outbox = outbox
    this.#jobs = jobs
    this.#sender = sender
    this.#contexts = contexts
    this.#stopListening = outbox.onEntry(() => void this.#take())
    // Deliveries under way stay this member's while it lives.
    this.#timer = setInterval(() => void Promise.resolve(outbox.hold([...this.#underWay.values()])).catch(() => {}), outbox.holdMs / 3)
    ;(this.#timer as { unref?: () => void }).unref?.()
  }

  /** Stops taking deliveries; those under way go on. */
  close(): void {
    this.#stopListening()
    clearInterval(this.#timer)
  }

  /** Takes what is due while there is room; a call during a pass makes that pass look again. */
  async #take(): Promise<void> {
    if (this.#taking) {
      this.#again = true
      return
    }
    this.#taking = true
    try {
      do {
        this.#again = false
        const room = AT_ONCE - this.#underWay.size
        if (room <= 0) break
        const entries = await this.#outbox.take(room)
        for (const entry of entries) this.#deliver(entry)
        if (entries.length === room) this.#again = true
      } while (this.#again)
    } catch {
      // The store is unreachable: the next ring or beat looks again.
    } finally {
      this.#taking = false
    }
  }

  #deliver(entry: OutboxEntry): void {
    const key = `${entry.id}:${entry.attempt}`
    this.#underWay.set(key, entry)
    void this.#send(entry)
      .then(() => this.#outbox.done(entry))
      .catch(() => {
        // Not removed: the hold runs out and a member delivers it again.
      })
      .finally(() => {
        this.#underWay.delete(key)
        void this.#take()
      })
  }

  async #send(entry: OutboxEntry): Promise<void> {
    const job = await this.#jobs.get(entry.id)
    // Gone (its retention ran out) or retried since: that attempt's status can no longer be told.
    if (!job || job.attempt.number !== entry.attempt || !hasEnded(job.attempt)) return
    await this.#sender.send(job, this.#contexts.of(entry.id))
  }
}

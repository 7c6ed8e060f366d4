/**
 * The webhook outbox of the Redis store: a sorted set of `<id>:<attempt>` the finish script adds
 * to in the same step that ends the attempt, scored by when it may next be taken. Taking an entry
 * holds it for `holdMs`; a member that stops holding it (it died mid-delivery) leaves it to the next.
 * @module
 */
import { Listeners } from './listeners.ts'
import type { OutboxEntry, WebhookOutbox } from '../store.ts'
import type { RedisContext } from './redis-jobs.ts'
import { OUTBOX_HOLD, OUTBOX_TAKE } from './scripts-fleet.ts'

const memberOf = (entry: OutboxEntry) => `${entry.id}:${entry.attempt}`

/** The webhooks a deployment owes, in Redis. */
export class RedisOutbox implements WebhookOutbox {
  readonly holdMs: number
  readonly #context: RedisContext
  readonly #listeners = new Listeners()

  constructor(context: RedisContext, holdMs: number) {
    this.#context = context
    this.holdMs = holdMs
  }

  async take(max: number): Promise<OutboxEntry[]> {
    const { keys, prefix } = this.#context
    const reply = (await this.#context.client.run(OUTBOX_TAKE, [keys.outbox, prefix, max, this.holdMs])) as string[]
    const entries: OutboxEntry[] = []
    for (let index = 0; index < reply.length; index += 2) entries.push({ id: reply[index]!, attempt: Number(reply[index + 1]) })
    return entries
  }

  async hold(entries: readonly OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return
    const { keys, prefix } = this.#context
    await this.#context.client.run(OUTBOX_HOLD, [keys.outbox, prefix, this.holdMs, ...entries.map(memberOf)])
  }

  async done(entry: OutboxEntry): Promise<void> {
    await this.#context.client.command('ZREM', [this.#context.keys.outbox, memberOf(entry)])
  }

  onEntry(listener: () => void): () => void {
    return this.#listeners.add(listener)
  }

  /** The doorbell rang for the outbox (or a look is due). */
  entryMayBeDue(): void {
    this.#listeners.tell()
  }
}

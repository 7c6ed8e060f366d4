/**
 * The webhook of an ended attempt: RunPod's envelope (the status object with `input` and
 * `webhook`), POSTed once per terminal status by the process that ended it. It runs on its own: the
 * job's end never waits for it, and on Workers the execution context keeps it alive.
 * @module
 */
import type { Awaitable } from '../awaitable.ts'
import { whenReady } from '../awaitable.ts'
import { envString } from '../env.ts'
import type { JobState } from '../store/job-state.ts'
import type { JobContext } from './executor.ts'
import { deliverWebhook } from './webhook.ts'
import type { WebhookOptions } from './webhook.ts'

/** Sends the webhooks of ended attempts. */
export class WebhookSender {
  readonly #options: WebhookOptions
  readonly #statusJson: (job: JobState) => Awaitable<string>
  #underWay = 0

  /** `statusJson(job)` is the status object, with its output, that the envelope carries. */
  constructor(options: WebhookOptions, statusJson: (job: JobState) => Awaitable<string>) {
    this.#options = options
    this.#statusJson = statusJson
  }

  /** How many deliveries are under way, retries included. */
  get underWay(): number {
    return this.#underWay
  }

  /**
   * Sends `job`'s webhook, if its request named one; the secret falls back to the job's env.
   * Resolves when the delivery has ended, delivered or given up; rejects only when the status
   * object could not be read from the store, so nothing was sent.
   */
  send(job: JobState, context: JobContext): Promise<void> | undefined {
    const url = job.request.webhook
    if (!url) return undefined
    this.#underWay++
    const delivery = Promise.resolve(
      whenReady(this.#statusJson(job), (status) => {
        const envelope = `${status.slice(0, -1)},"input":${JSON.stringify(job.request.input) ?? 'null'},"webhook":${JSON.stringify(url)}}`
        const secret = this.#options.secret ?? envString(context.env, 'EDGEPOD_WEBHOOK_SECRET')
        // The same message id on every attempt of a delivery, another for a retried job's attempt.
        return deliverWebhook(url, envelope, `${job.id}-${job.attempt.number}`, { ...this.#options, secret })
      })
    )
      .then(() => {})
      .finally(() => this.#underWay--)
    context.executionCtx?.waitUntil(delivery.catch(() => {}))
    return delivery
  }
}

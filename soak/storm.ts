/**
 * The soak's storm: `/run` jobs at a steady rate past the concurrency limit, until the queue is
 * full (429, waited out as `Retry-After` says), a share of them cancelled at once. Each job names
 * the soak's webhook receiver, where its terminal status is checked: COMPLETED with exactly its
 * outputs in order, or (only if it was cancelled) CANCELLED with the outputs it had made.
 * @module
 */
import { Agent, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { send, textOf } from '../bench/lib/http.ts'
import { inOrder } from './fleet-checks.ts'
import type { StatusObject } from './fleet-checks.ts'
import { cutByKill, sendElsewhere } from './kill-cuts.ts'
import type { SoakInput } from './worker.ts'
import type { Tally } from './tally.ts'
import { fail, jsonOf, refusal } from './tally.ts'
import type { Targets } from './targets.ts'

/** How the storm behaves. */
export interface StormPlan {
  input: SoakInput
  ttl: number
  /** Jobs submitted per second, over all submitters. */
  rate: number
  submitters: number
  /** The share of accepted jobs cancelled at once. */
  cancelShare: number
}

/** A job's terminal status as its webhook carries it. */
type Delivered = StatusObject

/**
 * The storm's jobs: those accepted and not yet judged, deliveries that came before their job's
 * `/run` answer, and the ids judged (a second delivery of one is counted, not judged again). In a
 * fleet soak, a job may also end `FAILED` with `worker_lost` when the member it names was killed.
 */
export class StormBook {
  readonly pending = new Map<string, { cancelled: boolean }>()
  readonly early = new Map<string, Delivered>()
  readonly judged = new Set<string>()
  readonly plan: StormPlan
  readonly tally: Tally
  readonly #killedAt: Targets['killedAt']

  constructor(plan: StormPlan, tally: Tally, killedAt: Targets['killedAt'] = () => undefined) {
    this.plan = plan
    this.tally = tally
    this.#killedAt = killedAt
  }

  /** A job was accepted (and maybe cancelled). */
  accepted(id: string, cancelled: boolean): void {
    this.tally.runAccepted++
    const delivered = this.early.get(id)
    if (delivered) {
      this.early.delete(id)
      this.#judge(delivered, cancelled)
    } else this.pending.set(id, { cancelled })
  }

  /** A job's terminal status arrived, by webhook or `/status`. */
  delivered(delivered: Delivered): void {
    if (this.judged.has(delivered.id)) return void this.tally.repeatedWebhooks++
    const job = this.pending.get(delivered.id)
    if (!job) return void this.early.set(delivered.id, delivered)
    this.pending.delete(delivered.id)
    this.#judge(delivered, job.cancelled)
  }

  #judge({ id, status, output = [], errorDetail, workerId }: Delivered, cancelled: boolean): void {
    const { tally, plan } = this
    this.judged.add(id)
    const ordered = inOrder(output)
    if (status === 'COMPLETED') {
      tally.runCompleted++
      if (!ordered) fail(tally, 'outOfOrderOutputs', `${id}: outputs out of order`)
      const missing = plan.input.count - output.length
      const where = workerId === undefined ? '' : ` (on ${workerId}${this.#killedAt(workerId) === undefined ? '' : ', a member killed'})`
      if (missing > 0) fail(tally, 'lostOutputs', `${id}: COMPLETED with ${output.length} outputs${where}`, missing)
      if (missing < 0) fail(tally, 'duplicatedOutputs', `${id}: ${output.length} outputs`, -missing)
    } else if (status === 'CANCELLED' && cancelled) {
      tally.runCancelled++
      if (!ordered) fail(tally, 'outOfOrderOutputs', `${id}: cancelled with outputs out of order`)
    } else if (tally.fleet && status === 'FAILED' && errorDetail?.code === 'worker_lost' && this.#killedAt(workerId) !== undefined) {
      tally.fleet.workerLostRuns++
      tally.fleet.keptOutputs += output.length
      if (!ordered) fail(tally, 'outOfOrderOutputs', `${id}: worker_lost with its kept outputs out of order`)
      if (output.length > plan.input.count) fail(tally, 'duplicatedOutputs', `${id}: ${output.length} outputs`, output.length - plan.input.count)
    } else {
      fail(tally, 'lostJobs', `${id}: ended ${status}${cancelled ? ' (cancelled)' : ''}`)
    }
  }
}

/** Receives the storm's webhooks on 127.0.0.1; resolves with its URL and `close()`. */
export async function webhookReceiver(book: StormBook): Promise<{ url: string; close(): void }> {
  const server = createServer(async (request, response) => {
    try {
      book.delivered(JSON.parse(await textOf(request)) as Delivered)
      response.end()
    } catch (error) {
      fail(book.tally, 'failedRequests', `webhook: ${(error as Error).message}`)
      response.statusCode = 400
      response.end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/webhook`, close: () => server.close() }
}

/**
 * Runs the storm until `stop()`: submitters sharing one pace of `plan.rate` jobs a second. In a
 * fleet, each job goes to a member and its cancel to another.
 */
export async function storm(targets: Targets, webhook: string, book: StormBook, random: () => number, stop: () => boolean): Promise<void> {
  const { plan, tally } = book
  const body = JSON.stringify({ input: plan.input, webhook, policy: { ttl: plan.ttl } })
  let nextAt = Date.now()
  const submitter = async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    try {
      while (!stop()) {
        const at = nextAt
        nextAt = Math.max(nextAt + 1_000 / plan.rate, Date.now())
        if (at > Date.now()) await sleep(at - Date.now())
        const url = targets.submit()
        try {
          const response = await send(url, { method: 'POST', path: '/run', body }, agent)
          if (response.statusCode !== 200) {
            await refusal(tally, response, 'POST /run')
            continue
          }
          const { id } = await jsonOf<{ id: string }>(response)
          const cancelled = random() < plan.cancelShare
          book.accepted(id, cancelled)
          if (!cancelled) continue
          const cancel = await sendElsewhere(targets, tally, url, { method: 'POST', path: `/cancel/${id}` }, agent)
          if (cancel instanceof Error) fail(tally, 'failedRequests', `POST /cancel/${id}: ${cancel.message}`)
          else if (cancel.response.statusCode === 200) await textOf(cancel.response)
          else await refusal(tally, cancel.response, `POST /cancel/${id}`)
        } catch (error) {
          if (!cutByKill(targets, tally, url)) fail(tally, 'failedRequests', `POST /run: ${(error as Error).message}`)
        }
      }
    } finally {
      agent.destroy()
    }
  }
  await Promise.all(Array.from({ length: plan.submitters }, submitter))
}

/**
 * After the queue has drained: waits up to `ms` for the last webhooks. A job whose webhook never
 * came is a failure; it is still judged from `/status` if it is held, and lost if it is not.
 */
export async function settleStorm(targets: Targets, book: StormBook, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (book.pending.size > 0 && Date.now() < deadline) await sleep(200)
  for (const id of [...book.pending.keys()]) {
    fail(book.tally, 'missingWebhooks', `${id}: no webhook`)
    const response = await send(targets.submit(), { method: 'GET', path: `/status/${id}` })
    const text = await textOf(response)
    const status = response.statusCode === 200 ? (JSON.parse(text) as Delivered) : undefined
    if (status && status.status !== 'IN_QUEUE' && status.status !== 'IN_PROGRESS') book.delivered(status)
    else fail(book.tally, 'lostJobs', `${id}: /status answered ${response.statusCode} ${text.slice(0, 100)}`)
  }
}

/**
 * The fleet of a fleet soak: members on Node (`test/helpers/fleet-member.ts` serving
 * `soak/worker.ts`, each its own process, `--expose-gc`) sharing one redis-server, each known by the
 * `workerId` it stamps on the jobs it runs. Requests go to live members at random; `kill()` ends
 * one with SIGKILL, mid-job, and starts a replacement, so the fleet keeps its size.
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { send } from '../bench/lib/http.ts'
import { spawnServer } from '../test/conformance/runtimes/spawn-server.ts'
import type { SpawnedServer } from '../test/conformance/runtimes/spawn-server.ts'
import type { TestRedis } from '../test/helpers/redis-server.ts'
import { jsonOf } from './tally.ts'
import type { FleetCounts } from './tally.ts'
import type { Targets } from './targets.ts'
import type { SoakStats } from './worker.ts'

/** One member, live or killed. */
export interface Member {
  /** The `workerId` of its status objects (`SOAK_WORKER_ID`). */
  readonly workerId: string
  readonly url: string
  readonly server: SpawnedServer
  /** When the soak killed it, ms since the epoch. */
  killedAt?: number
}

/** How the fleet's members are started. */
export interface FleetPlan {
  size: number
  redis: TestRedis
  /** `EDGEPOD_REDIS_PREFIX`. */
  prefix: string
  /** `EDGEPOD_LEASE_MS`. */
  leaseMs: number
  /** Each member's `concurrencyModifier`. */
  concurrency: number
  /** `maxQueue`, the fleet's: its queue is one. */
  maxQueue: number
}

/** The members of a fleet soak, as the soak's {@link Targets}. */
export class Fleet implements Targets {
  /** Every member started, killed ones included, in order. */
  readonly members: Member[] = []
  readonly plan: FleetPlan
  readonly counts: FleetCounts
  readonly #random: () => number
  /** Members named so far, started or starting. */
  #named = 0

  private constructor(plan: FleetPlan, counts: FleetCounts, random: () => number) {
    this.plan = plan
    this.counts = counts
    this.#random = random
  }

  /** Starts `plan.size` members, all at once. */
  static async start(plan: FleetPlan, counts: FleetCounts, random: () => number): Promise<Fleet> {
    const fleet = new Fleet(plan, counts, random)
    const started = await Promise.allSettled(Array.from({ length: plan.size }, () => fleet.#startMember()))
    const failed = started.find((member): member is PromiseRejectedResult => member.status === 'rejected')
    if (failed) {
      await fleet.stop()
      throw failed.reason
    }
    return fleet
  }

  /** The members not killed. */
  get live(): Member[] {
    return this.members.filter((member) => member.killedAt === undefined)
  }

  submit(): string {
    return this.#pick(this.live).url
  }

  elsewhere(url: string): string {
    const others = this.live.filter((member) => member.url !== url)
    return others.length > 0 ? this.#pick(others).url : this.submit()
  }

  killedBy(url: string, at: number): boolean {
    const killedAt = this.members.find((member) => member.url === url)?.killedAt
    return killedAt !== undefined && killedAt <= at
  }

  killedAt(workerId: string | undefined): number | undefined {
    return this.members.find((member) => member.workerId === workerId)?.killedAt
  }

  /** What each live member's `/__soak/stats` answers, by `workerId`. */
  async stats(): Promise<Record<string, SoakStats>> {
    const live = this.live
    const stats = await Promise.all(live.map(async (member) => jsonOf<SoakStats>(await send(member.url, { method: 'GET', path: '/__soak/stats' }))))
    return Object.fromEntries(live.map((member, index) => [member.workerId, stats[index]!]))
  }

  /** Kills a live member at random with SIGKILL and, once it has exited, starts its replacement. */
  async kill(): Promise<void> {
    const victim = this.#pick(this.live)
    // Marked first: from now on no request is sent to it, and any cut there is the kill's.
    victim.killedAt = Date.now()
    victim.server.signal('SIGKILL')
    this.counts.kills++
    await victim.server.exited
    await this.#startMember()
  }

  /** Kills a member every `ms` until `stop()`; resolves once the last replacement serves. */
  async killEvery(ms: number, stop: () => boolean): Promise<void> {
    for (;;) {
      const next = Date.now() + ms
      while (Date.now() < next) {
        if (stop()) return
        await sleep(Math.min(250, next - Date.now()))
      }
      if (stop()) return
      await this.kill()
    }
  }

  /** Stops the live members (SIGTERM). */
  async stop(): Promise<void> {
    await Promise.all(this.live.map((member) => member.server.stop()))
  }

  #pick<T>(among: T[]): T {
    if (among.length === 0) throw new Error('no member of the fleet is alive')
    return among[Math.floor(this.#random() * among.length)]!
  }

  async #startMember(): Promise<Member> {
    const { redis, prefix, leaseMs, concurrency, maxQueue } = this.plan
    const workerId = `soak-member-${++this.#named}`
    const env = {
      EDGEPOD_REDIS_URL: redis.url,
      EDGEPOD_REDIS_PREFIX: prefix,
      EDGEPOD_LEASE_MS: String(leaseMs),
      SOAK_CONCURRENCY: String(concurrency),
      SOAK_MAX_QUEUE: String(maxQueue),
      SOAK_WORKER_ID: workerId,
    }
    const args = ['--expose-gc', '--conditions=edgepod-source', '--import', 'tsx', 'test/helpers/fleet-member.ts', 'soak/worker.ts']
    const server = await spawnServer(process.execPath, args, { ready: /at (http:\/\/\S+)/, env })
    const member: Member = { workerId, url: server.url, server }
    this.members.push(member)
    this.counts.membersStarted++
    return member
  }
}

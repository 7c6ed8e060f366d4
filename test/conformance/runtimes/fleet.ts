import type { Launcher, RuntimeServer } from './runtime.ts'
import { startBalancer } from './balancer.ts'
import { bun } from './bun.ts'
import { deno } from './deno.ts'
import { node } from './node.ts'
import { startRedis } from '../../helpers/redis-server.ts'

/** Options of {@link launchFleet}. */
export interface FleetOptions {
  /** Added to every member's environment (`EDGEPOD_LEASE_MS`). */
  env?: Record<string, string>
}

/**
 * A fleet sharing one real redis-server: three members, one each on Node (`edgepod dev`), Bun and
 * Deno (`deno serve`), started with `EDGEPOD_REDIS_URL` alone, behind a balancer that sends each
 * request to a member at random.
 */
export async function launchFleet(workerFile: string, options: FleetOptions = {}): Promise<RuntimeServer & { members: RuntimeServer[] }> {
  const redis = await startRedis()
  const env = { EDGEPOD_REDIS_URL: redis.url, EDGEPOD_REDIS_PREFIX: 'conformance', ...options.env }
  const started = await Promise.allSettled([node, bun, deno].map((launch) => launch(workerFile, env)))
  const members = started.flatMap((member) => (member.status === 'fulfilled' ? [member.value] : []))
  const stopAll = async () => {
    await Promise.all(members.map((member) => member.stop()))
    await redis.close()
  }
  const failed = started.find((member): member is PromiseRejectedResult => member.status === 'rejected')
  if (failed) {
    await stopAll()
    throw failed.reason
  }
  const balancer = await startBalancer(members.map((member) => member.url))
  return {
    url: balancer.url,
    members,
    async stop() {
      await balancer.close()
      await stopAll()
    },
  }
}

/** The fleet as a conformance runtime. */
export const fleet: Launcher = (workerFile) => launchFleet(workerFile)

/**
 * The fleet the `edgepod-redis` variant is: a redis-server of its own (Debian's, on a free port),
 * three members serving the `edgepod` variant with its URL in `EDGEPOD_REDIS_URL` (the store comes
 * from the environment, as a user's would), and one member alone under another prefix: a fleet of
 * one, for what a single process does on Redis. Each member is its own process, launched as every
 * other variant is.
 * @module
 */
import { startRedis } from '../../test/helpers/redis-server.ts'
import type { BenchServer, RuntimeName } from './launch.ts'
import { launch } from './launch.ts'

/** The runtimes a fleet is served on: its members are Node processes. */
export const fleetRuntimes: readonly RuntimeName[] = ['node']

/** Members of the fleet (the solo member aside). */
export const FLEET_SIZE = 3

/**
 * How Redis writes its append-only file: `everysec` (Redis's recommendation, and what managed
 * Redis services run), `always` (an fsync a write: what the store's restart tests use), or `no`
 * (no append-only file at all, Redis's own default).
 */
export type RedisFsync = 'everysec' | 'always' | 'no'

/** One process of a fleet. */
export interface FleetMember {
  url: string
  /** Root of its process tree. */
  pid: number
}

/** What the fleet's metrics are given: the members, the solo member, and Redis. */
export interface FleetContext {
  /** {@link FLEET_SIZE} members sharing one prefix. */
  members: FleetMember[]
  /** A member alone on a prefix of its own. */
  solo: FleetMember
  /** redis-server's pid, for its CPU time. */
  redisPid: number
  /** Runs a `redis-cli` command against it. */
  cli(...args: string[]): Promise<string>
}

/** A fleet being served: its solo member as the {@link BenchServer} (`url`, `pid`), and the rest. */
export interface BenchFleet extends BenchServer {
  fleet: FleetContext
}

/** The `redis-server` arguments of an fsync setting (after the helper's, so they win). */
function redisArgsOf(fsync: RedisFsync): string[] {
  return fsync === 'no' ? ['--appendonly', 'no'] : ['--appendfsync', fsync]
}

/** Starts Redis and the fleet's members on `runtime`; `stop()` stops them and deletes Redis's files. */
export async function launchFleet(runtime: RuntimeName, fsync: RedisFsync): Promise<BenchFleet> {
  const redis = await startRedis({ args: redisArgsOf(fsync) })
  const redisPid = Number(/process_id:(\d+)/.exec(await redis.cli('INFO', 'server'))?.[1])
  // redis-server is this process's child, not a group of its own: end it should the run end early.
  const onExit = () => killQuietly(redisPid)
  process.once('exit', onExit)
  const started: BenchServer[] = []
  const stop = async () => {
    process.off('exit', onExit)
    await Promise.all(started.map((server) => server.stop()))
    await redis.close()
  }
  try {
    const memberOf = async (prefix: string) => {
      const server = await launch(runtime, 'edgepod', { EDGEPOD_REDIS_URL: redis.url, EDGEPOD_REDIS_PREFIX: prefix })
      started.push(server)
      return server
    }
    const members: BenchServer[] = []
    for (let index = 0; index < FLEET_SIZE; index++) members.push(await memberOf('bench-fleet'))
    const solo = await memberOf('bench-solo')
    const fleet: FleetContext = {
      members: members.map(({ url, pid }) => ({ url, pid })),
      solo: { url: solo.url, pid: solo.pid },
      redisPid,
      cli: (...args) => redis.cli(...args),
    }
    return { url: solo.url, pid: solo.pid, fleet, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // Already gone.
  }
}

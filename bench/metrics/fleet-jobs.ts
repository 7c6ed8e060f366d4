/**
 * `/run` jobs per second over a fleet of one member and of three: the `jobs` metric's 10 clients
 * (submit, then `/status` until terminal), spread over the members, client k on member k modulo
 * their number; each job runs on whichever member claims it. Server CPU counts every member and
 * Redis, and Redis's share is given. On `edgepod` (in memory), the one process: the figure to compare with.
 * @module
 */
import { fleetVariant } from '../hosts/load-variant.ts'
import { FLEET_SIZE } from '../lib/fleet.ts'
import { jobsOver } from './jobs.ts'
import type { Figures, Metric } from './metric.ts'

/** @see module */
export const fleetJobs: Metric = {
  name: 'fleet-jobs',
  variants: ['edgepod', fleetVariant],
  async run({ url, pid, quick, fleet }): Promise<Figures> {
    const duration = quick ? 1_000 : 5_000
    const one = await jobsOver([fleet?.solo ?? { url, pid }], duration, fleet?.redisPid)
    const figures: Figures = {
      oneJobsPerSecond: one.jobsPerSecond!,
      oneCpuMsPerJob: one.serverCpuMsPerJob!,
      onePollsPerJob: one.statusPollsPerJob!,
    }
    if (!fleet) return figures
    const all = await jobsOver(fleet.members, duration, fleet.redisPid)
    return {
      ...figures,
      oneRedisCpuMsPerJob: one.redisCpuMsPerJob!,
      fleetJobsPerSecond: all.jobsPerSecond!,
      fleetCpuMsPerJob: all.serverCpuMsPerJob!,
      fleetRedisCpuMsPerJob: all.redisCpuMsPerJob!,
      fleetPollsPerJob: all.statusPollsPerJob!,
      fleetSize: FLEET_SIZE,
    }
  },
}

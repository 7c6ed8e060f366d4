/**
 * `/run` jobs completed per second: 10 clients each submit a 5-yield job with `POST /run`, then
 * ask `GET /status/:id` until it is terminal, and start the next. edgepod (and its baseline, and
 * the Redis store's solo member) only: the references have no job API.
 * @module
 */
import { Agent } from 'node:http'
import { edgepodVariants } from '../hosts/load-variant.ts'
import type { FleetMember } from '../lib/fleet.ts'
import { jsonOf } from '../lib/job-api.ts'
import { processTree, startCpuMeter } from '../lib/proc.ts'
import type { Figures, Metric } from './metric.ts'

const CLIENTS = 10
const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT'])

/**
 * Runs the clients for `duration` ms against `members`, client k on member k modulo their number
 * (submitting and polling there, whichever member runs the job). Server CPU is that of the members'
 * process trees and of Redis (`redisPid`), whose share is given too.
 */
export async function jobsOver(members: FleetMember[], duration: number, redisPid?: number): Promise<Figures> {
  const agents = members.map(() => new Agent({ keepAlive: true, maxSockets: CLIENTS }))
  const redis = redisPid === undefined ? [] : [redisPid]
  const cpu = startCpuMeter([...members.flatMap((member) => processTree(member.pid)), ...redis])
  const redisCpu = startCpuMeter(redis)
  const started = performance.now()
  let completed = 0
  let polls = 0
  const body = JSON.stringify({ input: { n: 5, tick: 0 } })
  const client = async (index: number) => {
    const { url } = members[index % members.length]!
    const agent = agents[index % members.length]!
    while (performance.now() - started < duration) {
      const { id } = await jsonOf<{ id: string }>(url, { method: 'POST', path: '/run', body }, agent)
      for (;;) {
        polls++
        const { status } = await jsonOf<{ status: string }>(url, { method: 'GET', path: `/status/${id}` }, agent)
        if (status === 'COMPLETED') break
        if (TERMINAL.has(status)) throw new Error(`jobs: a job ended ${status}`)
      }
      completed++
    }
  }
  try {
    await Promise.all(Array.from({ length: CLIENTS }, (_, index) => client(index)))
  } finally {
    for (const agent of agents) agent.destroy()
  }
  const seconds = (performance.now() - started) / 1000
  const { serverSeconds } = cpu()
  return {
    jobsPerSecond: completed / seconds,
    statusPollsPerJob: polls / completed,
    serverCpuMsPerJob: (1000 * serverSeconds) / completed,
    ...(redisPid === undefined ? {} : { redisCpuMsPerJob: (1000 * redisCpu().serverSeconds) / completed }),
  }
}

/** @see module */
export const jobs: Metric = {
  name: 'jobs',
  variants: edgepodVariants,
  run: ({ url, pid, quick, fleet }) => jobsOver([{ url, pid }], quick ? 1_000 : 5_000, fleet?.redisPid),
}

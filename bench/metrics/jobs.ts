/**
 * `/run` jobs completed per second: 10 clients each submit a 5-yield job with `POST /run`, then
 * ask `GET /status/:id` until it is terminal, and start the next. edgepod (and its baseline) only:
 * the references have no job API.
 * @module
 */
import { Agent } from 'node:http'
import { edgepodVariants } from '../hosts/load-variant.ts'
import { send, textOf } from '../lib/http.ts'
import { processTree, startCpuMeter } from '../lib/proc.ts'
import type { Metric } from './metric.ts'

const CLIENTS = 10
const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT'])

async function jsonOf(url: string, target: Parameters<typeof send>[1], agent: Agent): Promise<{ id: string; status: string }> {
  const response = await send(url, target, agent)
  const text = await textOf(response)
  if (response.statusCode !== 200) throw new Error(`jobs: ${target.method} ${target.path}: HTTP ${response.statusCode} ${text}`)
  return JSON.parse(text) as { id: string; status: string }
}

/** @see module */
export const jobs: Metric = {
  name: 'jobs',
  variants: edgepodVariants,
  async run({ url, pid, quick }) {
    const duration = quick ? 1_000 : 5_000
    const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS })
    const cpu = startCpuMeter(processTree(pid))
    const started = performance.now()
    let completed = 0
    let polls = 0
    const body = JSON.stringify({ input: { n: 5, tick: 0 } })
    const client = async () => {
      while (performance.now() - started < duration) {
        const { id } = await jsonOf(url, { method: 'POST', path: '/run', body }, agent)
        for (;;) {
          polls++
          const { status } = await jsonOf(url, { method: 'GET', path: `/status/${id}` }, agent)
          if (status === 'COMPLETED') break
          if (TERMINAL.has(status)) throw new Error(`jobs: a job ended ${status}`)
        }
        completed++
      }
    }
    try {
      await Promise.all(Array.from({ length: CLIENTS }, client))
    } finally {
      agent.destroy()
    }
    const seconds = (performance.now() - started) / 1000
    const { serverSeconds } = cpu()
    return {
      jobsPerSecond: completed / seconds,
      statusPollsPerJob: polls / completed,
      serverCpuMsPerJob: (1000 * serverSeconds) / completed,
    }
  },
}

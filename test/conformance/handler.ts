// What every runtime serves for the conformance suite (worker.ts in memory, worker-do.ts with the
// Durable Object store). The handler's behaviour is chosen by the job's input, and what happened
// inside it (did `finally` run?) is reported at /_probe/:tag, because the test runs in another
// process than the runtime.
import type { WorkerConfig } from 'edgepod'

interface Probe {
  started?: number
  finallyRan?: number
  outputs?: number
}
const probes = new Map<string, Probe>()
const probe = (tag: string) => probes.get(tag) ?? (probes.set(tag, {}), probes.get(tag)!)

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const onAbort = () => (clearTimeout(timer), reject(signal.reason))
    const timer = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })

type Input = { tag?: string; mode?: string; count?: number; delay?: number; size?: number }

/** The conformance worker's config. */
export const conformanceConfig: WorkerConfig = {
  handler: async function* (job) {
    const input: Input = job.input ?? {}
    const p = probe(input.tag ?? job.id)
    p.started = Date.now()
    try {
      switch (input.mode) {
        case 'fail':
          yield 'before'
          throw new Error('model crashed')
        case 'forever':
        case 'deaf':
          // A token stream that never ends on its own: only a cancel or a disconnect stops it. A
          // deaf one's waits ignore the signal: stopping it means resuming it to return().
          for (let i = 0; ; i++) {
            yield { i }
            p.outputs = i + 1
            const delay = input.delay ?? 20
            await (input.mode === 'deaf' ? new Promise((resolve) => setTimeout(resolve, delay)) : sleep(delay, job.signal))
          }
        case 'stuck':
          yield 'started'
          // An await that ignores the signal.
          await new Promise(() => {})
          break
        case 'big':
          yield 'x'.repeat(input.size ?? 0)
          break
        case 'progress':
          yield 'a'
          job.progress({ pct: 50 })
          yield 'b'
          break
        default:
          for (let i = 0; i < (input.count ?? 3); i++) {
            yield { i, token: `word${i}`, text: 'ünï\n"quoted"' }
            if (input.delay) await sleep(input.delay, job.signal)
          }
      }
    } finally {
      p.finallyRan = Date.now()
    }
  },
  returnAggregateStream: true,
  keepAlive: 300,
  disconnectGrace: 0,
  maxEventBytes: 64 * 1024,
  maxBodyBytes: 256 * 1024,
}

/** The worker with the /_probe route in front of it. */
export function withProbes(worker: { fetch(request: Request, env?: unknown, ctx?: never): Response | Promise<Response> }) {
  return {
    fetch(request: Request, env?: unknown, ctx?: unknown): Response | Promise<Response> {
    const url = new URL(request.url)
    if (url.pathname.startsWith('/_probe/')) {
      return Response.json(probes.get(decodeURIComponent(url.pathname.slice('/_probe/'.length))) ?? {})
    }
    return worker.fetch(request, env, ctx as never)
    },
  }
}

// What every runtime serves for the conformance suite (worker.ts in memory, worker-do.ts with the
// Durable Object store). The handler's behaviour is chosen by the job's input, and what happened
// inside it (did `finally` run?) is reported at /_probe/:tag, because the test runs in another
// process than the runtime.
import type { Job, WorkerConfig } from 'edgepod'
import { openaiHandler } from 'edgepod'

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

/**
 * The OpenAI-compatible routes' handler: a chat answers "Hello, world" in three tokens, or, asked
 * `{"role":"user","content":"forever:<tag>"}`, tokens without end (its probe says when its
 * `finally` ran); a completion answers the same three tokens.
 */
const openai = openaiHandler({
  model: 'conformance',
  chat: (request) => {
    const asked = String(request.messages.at(-1)?.content ?? '')
    return asked.startsWith('forever:') ? forever(asked.slice('forever:'.length)) : ['Hello', ',', ' world']
  },
  complete: () => ['Hello', ',', ' world'],
})

async function* forever(tag: string): AsyncGenerator<string> {
  const p = probe(tag)
  p.started = Date.now()
  try {
    for (let i = 0; ; i++) {
      yield `t${i} `
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  } finally {
    p.finallyRan = Date.now()
  }
}

/** The conformance worker's config. */
export const conformanceConfig: WorkerConfig = {
  handler: (job: Job) => ((job.input as { openai_route?: string } | undefined)?.openai_route ? openai(job as never) : tokens(job)),
  returnAggregateStream: true,
  keepAlive: 300,
  disconnectGrace: 0,
  maxEventBytes: 64 * 1024,
  maxBodyBytes: 256 * 1024,
  // Only a request with an s3Config has a bucket: without one, an output over the limit still fails.
  spill: true,
}

/** The handler of every other job: what its input's mode says. */
async function* tokens(job: Job) {
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
      case 'upload': {
        // A file put whole, one streamed with no length told, and an output over maxEventBytes spilled.
        yield await job.upload('hello from the runtime', { name: 'hello.txt' })
        const chunks = ['streamed ', 'from ', 'the runtime']
        const encoder = new TextEncoder()
        const stream = new ReadableStream<Uint8Array>({ pull: (c) => (chunks.length ? c.enqueue(encoder.encode(chunks.shift()!)) : c.close()) })
        yield await job.upload(stream, { name: 'stream.txt', contentType: 'text/plain' })
        yield { big: 'x'.repeat(input.size ?? 70_000) }
        break
      }
      case 'log':
        job.log('loading weights')
        yield 'a'
        job.log('cache miss', 'warn')
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
}

type Fetcher = { fetch(request: Request, env?: unknown, ctx?: never): Response | Promise<Response> }

/** The API key of the keyed twin under `/_keyed`. */
export const CONFORMANCE_KEY = 'conformance-key'

/**
 * The worker with the /_probe route in front of it, and `keyed` (the same handler with an API key,
 * in memory) under `/_keyed/...`, so that one server per runtime shows what a key refuses.
 */
export function withProbes(worker: Fetcher, keyed?: Fetcher) {
  return {
    fetch(request: Request, env?: unknown, ctx?: unknown): Response | Promise<Response> {
      const url = new URL(request.url)
      if (url.pathname.startsWith('/_probe/')) {
        return Response.json(probes.get(decodeURIComponent(url.pathname.slice('/_probe/'.length))) ?? {})
      }
      if (keyed && url.pathname.startsWith('/_keyed/')) {
        url.pathname = url.pathname.slice('/_keyed'.length)
        return keyed.fetch(new Request(url, request), env, ctx as never)
      }
      return worker.fetch(request, env, ctx as never)
    },
  }
}

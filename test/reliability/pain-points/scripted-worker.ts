/**
 * The handler of the pain-point tests: one scripted async generator, so that each test says in its
 * input what the job does (yield, wait at a gate, stream tokens, sleep, fail, hang), and a probe,
 * found by the input's tag, says what the handler went through. {@link scriptedWorker} runs it.
 */
import { setTimeout as delay } from 'node:timers/promises'
import { serverless } from '../../../src/index.ts'
import type { Job, Worker, WorkerConfig } from '../../../src/index.ts'
import { gate } from '../../helpers/gate.ts'

/** One step of a {@link Script}. */
export type Step =
  /** Yield this value. */
  | { out: unknown }
  /** Wait until the test opens the gate `<tag>:<gate>`. */
  | { gate: string }
  /** Yield `{ i, pad }` `tokens` times, `pace` ms apart (an await that honours job.signal). */
  | { tokens: number; pace: number; pad: number }
  /** Yield 0, 1, 2... every `forever` ms until stopped (an await that honours job.signal). */
  | { forever: number }
  /** Sleep, honouring job.signal. */
  | { sleep: number }
  /** Throw an Error with this message. */
  | { fail: string }
  /** Wait for job.signal to abort: an await that honours it. */
  | 'signal'
  /** An await that never settles and ignores job.signal, as a hung SDK call does. */
  | 'deaf'
  /** Yield 0, 1, 2... as fast as possible, never awaiting anything. */
  | 'hot'

/** The input of a scripted job: its tag (from {@link newTag}) and what it does, step by step. */
export interface Script {
  tag: string
  steps: Step[]
}

/** What a handler reports back to the test, by the tag in its input. */
export interface Probe {
  starts: number
  /** Yields the handler resumed after (the value was taken by edgepod). */
  outputs: number
  finallyRan: boolean
  /** `name: message` of job.signal's reason, as the handler's finally saw it. */
  abortReason: string | undefined
}
const probes = new Map<string, Probe>()
/** The probe of the handler(s) run with `tag`, made on first use. */
export function probe(tag: string): Probe {
  let found = probes.get(tag)
  if (!found) probes.set(tag, (found = { starts: 0, outputs: 0, finallyRan: false, abortReason: undefined }))
  return found
}
let tagCount = 0
/** A tag no other job of the test file has: `<name>-<n>`. */
export const newTag = (name: string) => `${name}-${++tagCount}`

const gates = new Map<string, ReturnType<typeof gate<void>>>()
const gateAt = (key: string) => gates.get(key) ?? (gates.set(key, gate<void>()), gates.get(key)!)
/** Resolves once the gate `key` (`<tag>:<gate>`) is opened, before or after this call. */
export const waitAt = (key: string) => gateAt(key).promise
/** Opens the gate `key` (`<tag>:<gate>`), for a handler waiting there now or later. */
export const openAt = (key: string) => gateAt(key).open()

/** Rejects with the signal's reason when it aborts: the await of a handler that honours its signal. */
const abortOf = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason)
    signal.addEventListener('abort', () => reject(signal.reason), { once: true })
  })
const reasonOf = (signal: AbortSignal) => (signal.aborted ? `${(signal.reason as Error).name}: ${(signal.reason as Error).message}` : undefined)

async function* scripted(job: Job<Script>): AsyncGenerator<unknown> {
  const { tag, steps } = job.input
  const p = probe(tag)
  p.starts++
  try {
    for (const step of steps) {
      if (step === 'signal') await abortOf(job.signal)
      else if (step === 'deaf') await new Promise(() => {})
      else if (step === 'hot') {
        for (let i = 0; ; i++) {
          yield i
          p.outputs++
        }
      } else if ('out' in step) {
        yield step.out
        p.outputs++
      } else if ('gate' in step) await waitAt(`${tag}:${step.gate}`)
      else if ('tokens' in step) {
        for (let i = 0; i < step.tokens; i++) {
          if (i > 0) await delay(step.pace, undefined, { signal: job.signal })
          yield { i, pad: 'x'.repeat(step.pad) }
          p.outputs++
        }
      } else if ('forever' in step) {
        for (let i = 0; ; i++) {
          yield i
          p.outputs++
          await delay(step.forever, undefined, { signal: job.signal })
        }
      } else if ('sleep' in step) await delay(step.sleep, undefined, { signal: job.signal })
      else if ('fail' in step) throw new Error(step.fail)
    }
  } finally {
    p.abortReason = reasonOf(job.signal)
    p.finallyRan = true
  }
}

/** A worker running {@link scripted}, keeping every output in `/status` unless told otherwise. */
export const scriptedWorker = (config: Omit<WorkerConfig, 'handler'> = {}): Worker =>
  serverless.start({ returnAggregateStream: true, ...config, handler: scripted })

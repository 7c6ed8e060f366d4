/**
 * The one workload every variant serves: an async generator yielding `{"i":k,"token":"word"}`, the
 * shape of a token stream. A probe records how the generator ended, for the cancellation metric.
 * @module
 */

/** What a request asks the generator for. */
export interface WorkloadParams {
  /** Events to yield; `0` for "until stopped" (bounded by the safety cap). */
  n: number
  /** ms between events; 0 yields as fast as the consumer pulls. */
  tick: number
  /** Records the generator's end under this id (the cancellation metric). */
  probe?: string
  /** Bytes of padding per event (the slow-reader metric), default none. */
  pad?: number
  /**
   * Stamp events with the pid of the process yielding them and the wall-clock ms of the yield (the
   * fleet's metrics: which member ran the job, and how long an event took to reach its reader):
   * `every` event, or the `first` only.
   */
  stamp?: 'every' | 'first'
}

/** A workload event; `pid` and `at` when stamped, `pad` when padded. */
export interface WorkloadEvent {
  i: number
  token: string
  pid?: number
  at?: number
  pad?: string
}

/** How a probed generator ended. */
export interface ProbeRecord {
  events: number
  /** Wall-clock ms (with sub-ms precision where the runtime has it) when `finally` ran. */
  finallyAt: number | null
  /** True when the safety cap, not the consumer, ended the generator. */
  capped: boolean
}

/** An "infinite" generator stops on its own after this long or this many events. */
const CAP_MS = 1_500
const CAP_EVENTS = 300_000

const probes = new Map<string, ProbeRecord>()

/** Wall-clock time in ms, comparable between processes on one machine. */
export function wallClock(): number {
  return performance.timeOrigin + performance.now()
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** This process's id; 0 where there is no `process` (workerd). */
const pid = (globalThis as { process?: { pid?: number } }).process?.pid ?? 0

/** The benchmark's generator. */
export async function* tokens(params: WorkloadParams): AsyncGenerator<WorkloadEvent> {
  const record: ProbeRecord = { events: 0, finallyAt: null, capped: false }
  if (params.probe) probes.set(params.probe, record)
  const limit = params.n > 0 ? params.n : CAP_EVENTS
  const pad = params.pad ? 'x'.repeat(params.pad) : undefined
  const started = Date.now()
  try {
    for (let i = 0; i < limit; i++) {
      if (params.tick > 0) await sleep(params.tick)
      if (params.n === 0 && Date.now() - started > CAP_MS) {
        record.capped = true
        return
      }
      record.events++
      if (params.stamp === 'every' || (params.stamp === 'first' && i === 0)) yield { i, token: 'word', pid, at: wallClock() }
      else yield pad === undefined ? { i, token: 'word' } : { i, token: 'word', pad }
    }
    if (params.n === 0) record.capped = true
  } finally {
    record.finallyAt = wallClock()
  }
}

/** Reads the workload parameters from a query string (the reference variants' `GET /sse`). */
export function paramsOfQuery(url: URL): WorkloadParams {
  const number = (name: string) => Number(url.searchParams.get(name) ?? 0) || 0
  const probe = url.searchParams.get('probe') ?? undefined
  return { n: number('n'), tick: number('tick'), pad: number('pad'), ...(probe ? { probe } : {}) }
}

/** `GET /_probe?id=`: what the probed generator recorded, or `null` before it started. */
export function probeResponse(url: URL): Response {
  const id = url.searchParams.get('id') ?? ''
  return Response.json(probes.get(id) ?? null)
}

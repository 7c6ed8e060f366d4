/**
 * The soak's command line: the plan of its streams and storm, and the fleet mode's members, kills
 * and lease. Without `--fleet`, the soak runs one process, as it always did.
 * @module
 */
import { parseArgs } from 'node:util'
import type { StormPlan } from './storm.ts'
import type { StreamPlan } from './streams.ts'

/** What a soak run is asked to do. */
export interface SoakOptions {
  streams: number
  ttl: number
  /** Seconds of load. */
  duration: number
  /** Seconds of warm-up, whose jobs expire before the baseline. */
  warmup: number
  maxQueue: number
  seed: number
  /** Where the report goes. */
  out: string
  streamPlan: StreamPlan
  stormPlan: StormPlan
  /** Members of the fleet; 0 for the single-process soak. */
  fleet: number
  /** Seconds between kills of a member during the load (fleet mode); 0 for none. */
  killEvery: number
  /** `EDGEPOD_LEASE_MS` of the fleet's members. */
  leaseMs: number
}

/** The soak's options, from its command line. */
export function soakOptions(args: string[]): SoakOptions {
  const { values } = parseArgs({
    args,
    options: {
      duration: { type: 'string', default: '180' },
      warmup: { type: 'string', default: '3' },
      streams: { type: 'string', default: '1000' },
      tokens: { type: 'string', default: '100' },
      pause: { type: 'string', default: '40' },
      'storm-rate': { type: 'string', default: '300' },
      'storm-submitters': { type: 'string', default: '32' },
      'storm-tokens': { type: 'string', default: '20' },
      'storm-pause': { type: 'string', default: '100' },
      ttl: { type: 'string', default: '60000' },
      'resume-share': { type: 'string', default: '0.3' },
      'cancel-share': { type: 'string', default: '0.05' },
      'max-queue': { type: 'string', default: '1000' },
      seed: { type: 'string', default: '1' },
      out: { type: 'string', default: 'soak/results/latest.json' },
      fleet: { type: 'string', default: '0' },
      'kill-every': { type: 'string', default: '15' },
      lease: { type: 'string', default: '3000' },
    },
  })
  const number = (name: keyof typeof values) => Number(values[name])
  const ttl = number('ttl')
  return {
    streams: number('streams'),
    ttl,
    duration: number('duration'),
    warmup: number('warmup'),
    maxQueue: number('max-queue'),
    seed: number('seed'),
    out: values.out,
    streamPlan: { input: { count: number('tokens'), pauseMs: number('pause') }, ttl, resumeShare: number('resume-share') },
    stormPlan: {
      input: { count: number('storm-tokens'), pauseMs: number('storm-pause') },
      ttl,
      rate: number('storm-rate'),
      submitters: number('storm-submitters'),
      cancelShare: number('cancel-share'),
    },
    fleet: number('fleet'),
    killEvery: number('kill-every'),
    leaseMs: number('lease'),
  }
}

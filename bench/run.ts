/**
 * The benchmark: `npm run bench` (`node --import tsx bench/run.ts`). For every repetition and
 * runtime it starts every variant fresh, warms them up, then runs each metric on every variant back
 * to back, in an order rotated every repetition. Saves every figure as JSON and prints the report.
 *
 *   --runtimes node,bun,deno,workerd   --variants raw,raw-batched,hono-stream-sse,edgepod,edgepod-redis
 *   --metrics throughput,latency,...   --reps 5   --quick (small loads, to check the harness)
 *   --out bench/results/latest.json    --report-from FILE (print the report of a saved run)
 *   --baseline GIT-REF (adds edgepod-baseline, and edgepod-do-baseline for edgepod-do: the same
 *     worker built from that commit's src/)
 *   --redis-fsync everysec|always|no (edgepod-redis's Redis: how it writes its append-only file)
 *
 * The fleet in one paired run with the in-memory store: `npm run bench -- --runtimes node
 * --variants edgepod,edgepod-redis --metrics fleet-latency,fleet-throughput,fleet-jobs,redis-commands`.
 * edgepod-redis is a redis-server, three members and a solo member (`bench/lib/fleet.ts`), on Node.
 *
 * Before/after in one paired run: `npm run bench -- --variants edgepod --baseline main` serves this
 * tree's edgepod and main's side by side, and the report ends with their paired ratios.
 *
 * The Durable Object store against another commit's, on workerd: `npm run bench -- --runtimes
 * workerd --variants edgepod,edgepod-do --metrics throughput,latency,concurrent-streams,jobs
 * --baseline <git-ref>` (edgepod-do: the edgepod worker with `durableObject: 'EDGEPOD_JOBS'`).
 * @module
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { dirname } from 'node:path'
import { parseArgs } from 'node:util'
import type { VariantName } from './hosts/load-variant.ts'
import {
  baselinesFor,
  baselineSrcVariable,
  baselineVariants,
  durableObjectVariant,
  fleetVariant,
  servedOn,
  variantNames,
} from './hosts/load-variant.ts'
import type { Baseline } from './lib/baseline.ts'
import { checkOutBaseline } from './lib/baseline.ts'
import type { RedisFsync } from './lib/fleet.ts'
import { fleetRuntimes, launchFleet } from './lib/fleet.ts'
import { readStream } from './lib/http.ts'
import type { BenchServer, RuntimeName } from './lib/launch.ts'
import { launch, runtimeNames } from './lib/launch.ts'
import { describeMachine } from './lib/machine.ts'
import type { BenchRecord, BenchRun } from './lib/report.ts'
import { reportOf } from './lib/report.ts'
import { cancel } from './metrics/cancel.ts'
import { concurrency } from './metrics/concurrency.ts'
import { concurrentStreams } from './metrics/concurrent-streams.ts'
import { fleetJobs } from './metrics/fleet-jobs.ts'
import { fleetLatency } from './metrics/fleet-latency.ts'
import { fleetThroughput } from './metrics/fleet-throughput.ts'
import { jobs } from './metrics/jobs.ts'
import { latency } from './metrics/latency.ts'
import type { Metric } from './metrics/metric.ts'
import { redisCommands } from './metrics/redis-commands.ts'
import { runsync } from './metrics/runsync.ts'
import { runsyncMemory } from './metrics/runsync-memory.ts'
import { slowReader } from './metrics/slow-reader.ts'
import { throughput } from './metrics/throughput.ts'

// Memory is measured before runsync and jobs fill edgepod's retained results.
const metrics: Metric[] = [
  throughput,
  latency,
  concurrency,
  concurrentStreams,
  slowReader,
  cancel,
  runsync,
  jobs,
  fleetLatency,
  fleetThroughput,
  fleetJobs,
  redisCommands,
  runsyncMemory,
]

const { values: options } = parseArgs({
  options: {
    runtimes: { type: 'string', default: runtimeNames.join(',') },
    variants: { type: 'string', default: [...variantNames, fleetVariant].join(',') },
    metrics: { type: 'string', default: metrics.filter((metric) => !metric.optIn).map((metric) => metric.name).join(',') },
    reps: { type: 'string', default: '5' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/results/latest.json' },
    'report-from': { type: 'string' },
    baseline: { type: 'string' },
    'redis-fsync': { type: 'string', default: 'everysec' },
  },
})

function listOption<T extends string>(value: string, allowed: readonly T[], what: string): T[] {
  const chosen = value.split(',').filter(Boolean)
  const unknown = chosen.filter((name) => !allowed.includes(name as T))
  if (unknown.length) throw new Error(`unknown ${what}: ${unknown.join(', ')}; known: ${allowed.join(', ')}`)
  return chosen as T[]
}

/**
 * The variants to serve: those of `--variants`, plus, when there is a `--baseline`, the baseline
 * twins of those chosen (which cannot do without it: they have no sources of their own).
 */
function variantsOf(value: string, baseline: string | undefined): VariantName[] {
  const chosen = listOption<VariantName>(value, [...variantNames, fleetVariant, durableObjectVariant, ...baselineVariants], 'variants')
  if (baseline === undefined) {
    const twin = chosen.find((variant) => baselineVariants.includes(variant))
    if (twin) throw new Error(`${twin} is edgepod built from another commit: name that commit with --baseline <git-ref>`)
    return chosen
  }
  if (!baseline) throw new Error('--baseline: give a git ref (a branch, tag, commit, HEAD~1...)')
  return [...chosen, ...baselinesFor(chosen).filter((twin) => !chosen.includes(twin))]
}

/**
 * Removes the baseline's worktree if the run is interrupted: exiting runs the 'exit' handlers,
 * which also stop the servers' process groups. Gives the function that stops listening.
 */
function removeOnSignal(baseline: Baseline): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    baseline.remove()
    process.exit(signal === 'SIGINT' ? 130 : 143)
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  return () => {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

/** `list` turned `by` places, so each variant takes every position over the repetitions. */
const rotated = <T>(list: T[], by: number): T[] => list.map((_, index) => list[(index + by) % list.length]!)

/**
 * The same warm-up for every variant: a 20k-event stream, 2,000 one-event streams, 200 runsyncs;
 * for a fleet, on each of its processes. 2,000 because the metrics measure a server in steady
 * state: after 50, a route's code was still partly in the JIT's early tiers, and a variant with
 * more code on its path (edgepod's `POST /stream`) measured its warm-up (bench/RESULTS.md,
 * "Per-job cost, second round").
 */
async function warmUp(server: BenchServer, variant: VariantName): Promise<void> {
  const urls = server.fleet ? [...server.fleet.members.map((member) => member.url), server.fleet.solo.url] : [server.url]
  for (const url of urls) await warmUpOne(url, variant)
}

async function warmUpOne(url: string, variant: VariantName): Promise<void> {
  await readStream(url, variant, { n: 20_000, tick: 0 })
  for (let request = 0; request < 2_000; request++) await readStream(url, variant, { n: 1, tick: 0 })
  for (let request = 0; request < 200; request++) {
    const response = await fetch(`${url}/runsync`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input: { n: 5, tick: 0 } }),
    })
    await response.arrayBuffer()
  }
}

async function main(): Promise<void> {
  if (options['report-from']) {
    console.log(reportOf(JSON.parse(readFileSync(options['report-from'], 'utf8')) as BenchRun))
    return
  }
  const runtimes = listOption(options.runtimes, runtimeNames, 'runtimes')
  const variants = variantsOf(options.variants, options.baseline)
  const names = listOption(options.metrics, metrics.map((metric) => metric.name), 'metrics')
  const chosen = metrics.filter((metric) => names.includes(metric.name))
  const reps = Number(options.reps)
  listOption<RedisFsync>(options['redis-fsync'], ['everysec', 'always', 'no'], '--redis-fsync settings')
  const baseline = options.baseline === undefined ? undefined : checkOutBaseline(options.baseline)
  const stopListening = baseline && removeOnSignal(baseline)
  try {
    await runAll(runtimes, variants, chosen, reps, baseline)
  } finally {
    stopListening?.()
    baseline?.remove()
  }
}

/** Runs every repetition, saving after each runtime's, and prints the report. */
async function runAll(runtimes: RuntimeName[], variants: VariantName[], chosen: Metric[], reps: number, baseline?: Baseline): Promise<void> {
  const run: BenchRun = {
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    startedAt: new Date().toISOString(),
    seconds: 0,
    machine: { ...describeMachine(), ...(variants.includes(fleetVariant) ? { 'edgepod-redis': `redis-server, appendfsync ${options['redis-fsync']}` } : {}) },
    ...(baseline ? { baseline: { ref: baseline.ref, commit: baseline.commit } } : {}),
    records: [],
  }
  // The baseline's sources reach its server only: the other variants are served as without it.
  const envOf = (variant: VariantName) => (baselineVariants.includes(variant) && baseline ? { [baselineSrcVariable]: baseline.src } : {})
  const started = performance.now()
  const save = () => {
    run.seconds = (performance.now() - started) / 1000
    mkdirSync(dirname(options.out), { recursive: true })
    writeFileSync(options.out, JSON.stringify(run, null, 1))
  }
  for (let rep = 1; rep <= reps; rep++) {
    for (const runtime of runtimes) {
      const servers = new Map<VariantName, BenchServer>()
      try {
        for (const variant of variants) {
          if (variant === fleetVariant && !fleetRuntimes.includes(runtime)) continue
          if (!servedOn(variant, runtime)) continue
          const server =
            variant === fleetVariant ? await launchFleet(runtime, options['redis-fsync'] as RedisFsync) : await launch(runtime, variant, envOf(variant))
          servers.set(variant, server)
          await warmUp(server, variant)
        }
        for (const metric of chosen) {
          for (const variant of rotated(variants, rep)) {
            if (metric.variants && !metric.variants.includes(variant)) continue
            const server = servers.get(variant)
            // A variant this runtime does not serve (the fleet off Node, a Durable Object off workerd).
            if (!server) continue
            const record: BenchRecord = { rep, runtime, variant, metric: metric.name }
            try {
              record.figures = await metric.run({ runtime, variant, url: server.url, pid: server.pid, quick: options.quick, fleet: server.fleet })
            } catch (error) {
              record.error = error instanceof Error ? error.message : String(error)
            }
            run.records.push(record)
            const shown = record.error ?? Object.entries(record.figures!).map(([name, value]) => `${name}=${+value.toPrecision(4)}`).join(' ')
            console.error(`rep ${rep} ${runtime} ${metric.name} ${variant}: ${shown}`)
          }
        }
      } finally {
        await Promise.all([...servers.values()].map((server) => server.stop()))
      }
      save()
    }
  }
  // Others may share the machine: what the load was as the run ended says whether they did.
  run.machine['load average at end'] = loadavg().map((load) => load.toFixed(2)).join(' ')
  save()
  console.log(reportOf(run))
}

await main()

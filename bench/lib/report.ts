/**
 * The Markdown report: for every metric, runtime and variant, the median over repetitions, the
 * min–max, and ratios to the references paired repetition by repetition (the machine is noisy:
 * absolute numbers move, ratios within one repetition hold). A run with a baseline ends with
 * edgepod's ratios to it, paired the same way.
 * @module
 */
import type { VariantName } from '../hosts/load-variant.ts'
import { baselineTwins, baselineVariant } from '../hosts/load-variant.ts'
import { commandsTable } from './commands-report.ts'
import type { RuntimeName } from './launch.ts'
import { median, range } from './stats.ts'

/** One metric's figures for one variant in one repetition. */
export interface BenchRecord {
  rep: number
  runtime: RuntimeName
  variant: VariantName
  metric: string
  figures?: Record<string, number>
  error?: string
}

/** A whole run, as saved to JSON. */
export interface BenchRun {
  command: string
  startedAt: string
  seconds: number
  machine: Record<string, string>
  /** The commit `edgepod-baseline` was built from (`--baseline`): the ref as given, and its hash. */
  baseline?: { ref: string; commit: string }
  records: BenchRecord[]
}

interface Column {
  figure: string
  label: string
  format: (value: number) => string
  /** Give min–max next to the median. */
  spread?: boolean
}

/** Paired ratios of one figure to these variants: a column `×<variant>` each (`<label> ×<variant>` with a label). */
interface Ratio {
  figure: string
  /** The figure of the variants against, when it is another (the fleet's 3 members against one process). */
  of?: string
  against: VariantName[]
  lowerIsBetter?: boolean
  label?: string
}

interface Table {
  metric: string
  title: string
  columns: Column[]
  ratio?: Ratio | Ratio[]
}

const thousands = (value: number) => (value >= 1e5 ? `${Math.round(value / 1e3)}k` : value >= 1e4 ? `${(value / 1e3).toFixed(1)}k` : `${Math.round(value)}`)
const fixed = (digits: number) => (value: number) => (Number.isFinite(value) ? value.toFixed(digits) : '—')
const percent = (value: number) => `${Math.round(value * 100)} %`

const tables: Table[] = [
  {
    metric: 'throughput',
    title: 'Streaming throughput: one stream of 200,000 events, read whole',
    columns: [
      { figure: 'eventsPerSecond', label: 'events/s', format: thousands, spread: true },
      { figure: 'eventsPerServerCpuSecond', label: 'events per server CPU-s', format: thousands },
      { figure: 'serverCpuPercent', label: 'server CPU %', format: fixed(0) },
      { figure: 'clientCpuPercent', label: 'client CPU %', format: fixed(0) },
      { figure: 'bytesPerEvent', label: 'bytes/event', format: fixed(0) },
    ],
    ratio: { figure: 'eventsPerSecond', against: ['raw', 'raw-batched', 'hono-stream-sse'] },
  },
  {
    metric: 'latency',
    title: 'First-event latency: 200 sequential one-event streams on one keep-alive connection, ms',
    columns: [
      { figure: 'p50', label: 'p50', format: fixed(3), spread: true },
      { figure: 'p90', label: 'p90', format: fixed(3) },
      { figure: 'p99', label: 'p99', format: fixed(2) },
    ],
    ratio: { figure: 'p50', against: ['raw'], lowerIsBetter: true },
  },
  {
    metric: 'concurrency',
    title: 'Concurrency: 1,000 open streams, 50 events each, one every 100 ms',
    columns: [
      { figure: 'growthMB', label: 'RSS growth MB', format: fixed(1), spread: true },
      { figure: 'kbPerStream', label: 'KB/stream', format: fixed(0) },
      { figure: 'baselineMB', label: 'baseline MB', format: fixed(0) },
      { figure: 'allArrived', label: 'all events arrived', format: percent },
      { figure: 'slowestSeconds', label: 'slowest stream s', format: fixed(1) },
    ],
    ratio: { figure: 'growthMB', against: ['raw'], lowerIsBetter: true },
  },
  {
    metric: 'concurrent-streams',
    title:
      '100 streams at once: hot, 1,000 events each with no wait, read whole; paced, 50 events each one every 20 ms, ms from the yield to the reader',
    columns: [
      { figure: 'eventsPerSecond', label: 'hot: events/s', format: thousands, spread: true },
      { figure: 'eventsPerServerCpuSecond', label: 'events per server CPU-s', format: thousands },
      { figure: 'firstEventP50', label: 'first event p50 ms', format: fixed(1) },
      { figure: 'firstEventP99', label: 'p99 ms', format: fixed(1) },
      { figure: 'delayP50', label: 'paced: delay p50 ms', format: fixed(2), spread: true },
      { figure: 'delayP99', label: 'p99 ms', format: fixed(1) },
      { figure: 'growthMB', label: 'RSS growth MB', format: fixed(1) },
    ],
    ratio: { figure: 'eventsPerSecond', against: ['edgepod'] },
  },
  {
    metric: 'slow-reader',
    title: 'A reader 10× slower than the handler: 1 KB events every 1 ms for 4 s, read at 100 KB/s',
    columns: [
      { figure: 'producedMB', label: 'handler produced MB', format: fixed(1) },
      { figure: 'readMB', label: 'reader read MB', format: fixed(2) },
      { figure: 'growthMB', label: 'RSS growth MB', format: fixed(1), spread: true },
      { figure: 'growthPerProducedMB', label: 'growth ÷ produced', format: fixed(2) },
    ],
  },
  {
    metric: 'cancel',
    title: "Disconnect → the generator's `finally` (client leaves after 10 events)",
    columns: [
      { figure: 'tokenWithin20ms', label: 'token (10 ms): ≤ 20 ms', format: percent },
      { figure: 'tokenWithin1s', label: '≤ 1 s', format: percent },
      { figure: 'tokenMedianMs', label: 'median ms', format: fixed(1) },
      { figure: 'tokenMaxMs', label: 'max ms', format: fixed(1) },
      { figure: 'hotWithin20ms', label: 'hot (0 ms): ≤ 20 ms', format: percent },
      { figure: 'hotWithin1s', label: '≤ 1 s', format: percent },
      { figure: 'hotMedianMs', label: 'median ms', format: fixed(1) },
      { figure: 'hotMaxMs', label: 'max ms', format: fixed(1) },
      { figure: 'hotEvents', label: 'events generated', format: thousands },
    ],
  },
  {
    metric: 'runsync',
    title: '`POST /runsync` of a 5-yield handler, autocannon, 10 connections, 5 s',
    columns: [
      { figure: 'requestsPerSecond', label: 'req/s', format: thousands, spread: true },
      { figure: 'p50', label: 'p50 ms', format: fixed(3) },
      { figure: 'p99', label: 'p99 ms', format: fixed(3) },
      { figure: 'serverCpuPercent', label: 'server CPU %', format: fixed(0) },
      { figure: 'clientCpuPercent', label: 'client CPU %', format: fixed(0) },
    ],
    ratio: { figure: 'requestsPerSecond', against: ['raw'] },
  },
  {
    metric: 'runsync-memory',
    title: '`POST /runsync` sustained: autocannon, 10 connections, 5 min, server RSS every 5 s (retained bytes per job: RSS growth ÷ a minute of jobs)',
    columns: [
      { figure: 'requestsPerSecond', label: 'req/s', format: thousands, spread: true },
      { figure: 'p99', label: 'p99 ms', format: fixed(1) },
      { figure: 'maxLatency', label: 'max ms', format: fixed(0) },
      { figure: 'rssBeforeMB', label: 'RSS before MB', format: fixed(0) },
      { figure: 'rssEndMB', label: 'RSS at the end MB', format: fixed(0), spread: true },
      { figure: 'lastMinuteSpreadMB', label: 'last minute: RSS spread MB', format: fixed(0) },
      { figure: 'retainedBytesPerJob', label: 'retained B per job', format: fixed(0) },
    ],
  },
  {
    metric: 'jobs',
    title: '`/run` jobs completed per second: 10 clients, submit then `/status` until terminal, 5 s',
    columns: [
      { figure: 'jobsPerSecond', label: 'jobs/s', format: thousands, spread: true },
      { figure: 'statusPollsPerJob', label: '/status polls per job', format: fixed(2) },
      { figure: 'serverCpuMsPerJob', label: 'server CPU ms per job', format: fixed(3) },
    ],
  },
  {
    metric: 'fleet-latency',
    title:
      'Live events across members: a job of 200 events, one every 5 ms, queued on one member and read on another; ms from the yield to the reader (edgepod: the one process)',
    columns: [
      { figure: 'p50', label: 'p50', format: fixed(3), spread: true },
      { figure: 'p90', label: 'p90', format: fixed(3) },
      { figure: 'p99', label: 'p99', format: fixed(2), spread: true },
      { figure: 'max', label: 'max', format: fixed(1) },
      { figure: 'samples', label: 'events', format: fixed(0) },
      { figure: 'ownerP50', label: 'reader on the owner: p50', format: fixed(3) },
      { figure: 'ownerP99', label: 'p99', format: fixed(2) },
    ],
    ratio: [
      { figure: 'p50', against: ['edgepod'], lowerIsBetter: true, label: 'p50' },
      { figure: 'p99', against: ['edgepod'], lowerIsBetter: true, label: 'p99' },
    ],
  },
  {
    metric: 'fleet-throughput',
    title: 'One stream across members: 200,000 events queued on one member, read whole on another (edgepod: the one process)',
    columns: [
      { figure: 'eventsPerSecond', label: 'events/s', format: thousands, spread: true },
      { figure: 'serverCpuSeconds', label: 'server CPU s (members and Redis)', format: fixed(2) },
      { figure: 'redisCpuSeconds', label: "Redis's CPU s", format: fixed(2) },
      { figure: 'ownerEventsPerSecond', label: 'reader on the owner: events/s', format: thousands },
    ],
    ratio: { figure: 'eventsPerSecond', against: ['edgepod'] },
  },
  {
    metric: 'fleet-jobs',
    title: '`/run` jobs per second over 1 and 3 members: 10 clients spread over the members, submit then `/status` until terminal, 5 s each',
    columns: [
      { figure: 'oneJobsPerSecond', label: '1 member: jobs/s', format: thousands, spread: true },
      { figure: 'oneCpuMsPerJob', label: 'server CPU ms per job', format: fixed(3) },
      { figure: 'oneRedisCpuMsPerJob', label: "Redis's share", format: fixed(3) },
      { figure: 'onePollsPerJob', label: '/status polls per job', format: fixed(2) },
      { figure: 'fleetJobsPerSecond', label: '3 members: jobs/s', format: thousands, spread: true },
      { figure: 'fleetCpuMsPerJob', label: 'server CPU ms per job', format: fixed(3) },
      { figure: 'fleetRedisCpuMsPerJob', label: "Redis's share", format: fixed(3) },
      { figure: 'fleetPollsPerJob', label: '/status polls per job', format: fixed(2) },
    ],
    ratio: [
      { figure: 'oneJobsPerSecond', against: ['edgepod'], label: '1 member' },
      { figure: 'fleetJobsPerSecond', of: 'oneJobsPerSecond', against: ['edgepod'], label: '3 members' },
    ],
  },
]

/** The figures compared between a variant and its baseline twin, in the report's last tables. */
const baselineFigures: { metric: string; figure: string; label: string }[] = [
  { metric: 'throughput', figure: 'eventsPerSecond', label: 'stream events/s' },
  { metric: 'throughput', figure: 'eventsPerServerCpuSecond', label: 'events per server CPU-s' },
  { metric: 'latency', figure: 'p50', label: 'first event p50' },
  { metric: 'latency', figure: 'p99', label: 'first event p99' },
  { metric: 'concurrency', figure: 'growthMB', label: '1,000 streams RSS growth' },
  { metric: 'concurrent-streams', figure: 'eventsPerSecond', label: '100 streams events/s' },
  { metric: 'concurrent-streams', figure: 'eventsPerServerCpuSecond', label: '100 streams events per server CPU-s' },
  { metric: 'concurrent-streams', figure: 'firstEventP50', label: '100 streams first event p50' },
  { metric: 'concurrent-streams', figure: 'delayP50', label: '100 paced streams delay p50' },
  { metric: 'concurrent-streams', figure: 'delayP99', label: '100 paced streams delay p99' },
  { metric: 'runsync', figure: 'requestsPerSecond', label: '/runsync req/s' },
  { metric: 'runsync', figure: 'p99', label: '/runsync p99' },
  { metric: 'jobs', figure: 'jobsPerSecond', label: '/run jobs/s' },
  { metric: 'jobs', figure: 'serverCpuMsPerJob', label: '/run server CPU per job' },
]

function cell(all: Array<number | undefined>, column: Column): string {
  // A figure only some variants have (the fleet's reader on the owner) is blank for the others.
  const values = all.filter((value): value is number => value !== undefined)
  if (values.length === 0) return '—'
  const middle = column.format(median(values))
  if (!column.spread || values.length < 2) return middle
  const [low, high] = range(values)
  return `${middle} (${column.format(low)}–${column.format(high)})`
}

function pairedRatio(records: BenchRecord[], variant: VariantName, against: VariantName, figure: string, of = figure): string {
  const ratios: number[] = []
  for (const record of records) {
    if (record.variant !== variant || record.figures?.[figure] === undefined) continue
    const reference = records.find((other) => other.variant === against && other.rep === record.rep)
    const value = reference?.figures?.[of]
    if (value) ratios.push(record.figures[figure]! / value)
  }
  return ratios.length ? `${median(ratios).toFixed(2)}×` : '—'
}

/**
 * `variant` ÷ its baseline `twin` for {@link baselineFigures}, a row per runtime; none without
 * the twin.
 */
function baselineTable(run: BenchRun, variant: VariantName, twin: VariantName): string[] {
  const records = run.records.filter((record) => record.variant === twin)
  if (records.length === 0) return []
  const figures = baselineFigures.filter(({ metric }) => records.some((record) => record.metric === metric))
  const of = run.baseline ? ` (\`${run.baseline.ref}\`, ${run.baseline.commit.slice(0, 10)})` : ''
  const lines = [
    `### ${variant} against ${twin}${of}: ${variant} ÷ baseline, paired by repetition`,
    '',
    `Above 1× is more for ${variant}: better for rates, worse for ms and MB.`,
    '',
    `| runtime | ${figures.map(({ label }) => label).join(' | ')} |`,
    `|${' --- |'.repeat(1 + figures.length)}`,
  ]
  for (const runtime of new Set(records.map((record) => record.runtime))) {
    const ratios = figures.map(({ metric, figure }) => {
      const paired = run.records.filter((record) => record.runtime === runtime && record.metric === metric)
      return pairedRatio(paired, variant, twin, figure)
    })
    lines.push(`| ${runtime} | ${ratios.join(' | ')} |`)
  }
  lines.push('')
  return lines
}

/** The baseline twins `run` served (edgepod-baseline if its records do not say). */
function baselinesIn(run: BenchRun): VariantName[] {
  const served = baselineTwins.map(([, twin]) => twin).filter((twin) => run.records.some((record) => record.variant === twin))
  return served.length ? served : [baselineVariant]
}

/** The report of `run` as Markdown. */
export function reportOf(run: BenchRun): string {
  const lines = [
    `Command: \`${run.command}\`, started ${run.startedAt}, took ${Math.round(run.seconds)} s.`,
    '',
    ...Object.entries(run.machine).map(([name, value]) => `- ${name}: ${value}`),
    ...(run.baseline ? [`- ${baselinesIn(run).join(', ')}: \`${run.baseline.ref}\` = ${run.baseline.commit}`] : []),
    '',
  ]
  for (const table of tables) {
    const records = run.records.filter((record) => record.metric === table.metric)
    if (records.length === 0) continue
    const ratios = table.ratio === undefined ? [] : [table.ratio].flat()
    const ratioLabels = ratios.flatMap((ratio) => ratio.against.map((against) => (ratio.label ? `${ratio.label} ×${against}` : `×${against}`)))
    lines.push(`### ${table.title}`, '')
    lines.push(`| runtime | variant | ${[...table.columns.map((column) => column.label), ...ratioLabels].join(' | ')} |`)
    lines.push(`|${' --- |'.repeat(2 + table.columns.length + ratioLabels.length)}`)
    for (const runtime of new Set(records.map((record) => record.runtime))) {
      const ofRuntime = records.filter((record) => record.runtime === runtime)
      for (const variant of new Set(ofRuntime.map((record) => record.variant))) {
        const ofVariant = ofRuntime.filter((record) => record.variant === variant)
        const failures = ofVariant.filter((record) => record.error)
        const measured = ofVariant.filter((record) => record.figures)
        const cells = table.columns.map((column) => cell(measured.map((record) => record.figures![column.figure]), column))
        const paired = ratios.flatMap((ratio) => ratio.against.map((against) => pairedRatio(ofRuntime, variant, against, ratio.figure, ratio.of)))
        const note = failures.length ? ` (${failures.length} failed: ${failures[0]!.error!.split('\n')[0]})` : ''
        lines.push(`| ${runtime} | ${variant}${note} | ${[...cells, ...paired].join(' | ')} |`)
      }
    }
    lines.push('')
  }
  lines.push(...commandsTable(run.records), ...baselineTwins.flatMap(([variant, twin]) => baselineTable(run, variant, twin)))
  return lines.join('\n')
}

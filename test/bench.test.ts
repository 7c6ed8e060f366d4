/**
 * The benchmark measures what it claims: every variant serves the same workload, the same runsync
 * answer and the same cancellation probe, a baseline checked out from git serves what edgepod
 * does, and the report pairs ratios repetition by repetition. No timings here: the targets live
 * in bench/.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { VariantName } from '../bench/hosts/load-variant.ts'
import {
  baselinesFor,
  baselineSrcVariable,
  baselineVariant,
  cloudflareEntryOf,
  durableObjectBaselineVariant,
  durableObjectVariant,
  loadVariant,
  servedOn,
  variantNames,
} from '../bench/hosts/load-variant.ts'
import type { Baseline } from '../bench/lib/baseline.ts'
import { checkOutBaseline } from '../bench/lib/baseline.ts'
import type { BenchRecord } from '../bench/lib/report.ts'
import { reportOf } from '../bench/lib/report.ts'
import { streamTargetOf } from '../bench/lib/http.ts'
import { countsBetween, dividedBy, lessBackground, parseCommandStats, perExtraUnit } from '../bench/lib/redis-stats.ts'
import { sseDataOf } from '../bench/lib/sse-data.ts'
import type { WorkloadEvent, WorkloadParams } from '../bench/workload.ts'
import { tokens, wallClock } from '../bench/workload.ts'
import { root } from './conformance/runtimes/spawn-server.ts'
import { sseReader } from './helpers/sse-reader.ts'

function streamRequest(variant: VariantName, params: WorkloadParams): Request {
  const target = streamTargetOf(variant, params)
  return new Request(`http://bench${target.path}`, {
    method: target.method,
    body: target.body ?? null,
    headers: target.body === undefined ? {} : { 'content-type': 'application/json' },
  })
}

describe.each(variantNames)('bench variant %s', (variant) => {
  it('streams the workload: {"i":k,"token":"word"} for k below n, in order', async () => {
    const worker = await loadVariant(variant)
    const response = await worker.fetch(streamRequest(variant, { n: 300, tick: 0 }))
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const events = await sseReader(response).rest()
    const outputs = events.filter((event) => event.event === undefined || event.event === 'output')
    expect(outputs.map((event) => JSON.parse(event.data))).toEqual(Array.from({ length: 300 }, (_, i) => ({ i, token: 'word' })))
  })

  it('answers /runsync with the five outputs', async () => {
    const worker = await loadVariant(variant)
    const response = await worker.fetch(
      new Request('http://bench/runsync', { method: 'POST', body: JSON.stringify({ input: { n: 5, tick: 0 } }), headers: { 'content-type': 'application/json' } })
    )
    const body = (await response.json()) as { status: string; output: unknown[] }
    expect(body.status).toBe('COMPLETED')
    expect(body.output).toEqual(Array.from({ length: 5 }, (_, i) => ({ i, token: 'word' })))
  })

  it("records through /_probe when an endless generator's finally ran", async () => {
    const worker = await loadVariant(variant)
    const probe = `test-${variant}`
    const reader = sseReader(await worker.fetch(streamRequest(variant, { n: 0, tick: 1, probe })))
    await reader.take(3)
    const before = (await (await worker.fetch(new Request(`http://bench/_probe?id=${probe}`))).json()) as { finallyAt: number | null }
    expect(before.finallyAt).toBeNull()
    await reader.cancel()
    // Hono's streamSSE is measured for not stopping its generator: its probe ends at the safety cap.
    await expect
      .poll(async () => ((await (await worker.fetch(new Request(`http://bench/_probe?id=${probe}`))).json()) as { finallyAt: number | null }).finallyAt, {
        timeout: 3_000,
      })
      .not.toBeNull()
  })
})

async function outputsOf(variant: VariantName, n: number): Promise<unknown[]> {
  const worker = await loadVariant(variant)
  const events = await sseReader(await worker.fetch(streamRequest(variant, { n, tick: 0 }))).rest()
  return events.filter((event) => event.event === undefined || event.event === 'output').map((event) => JSON.parse(event.data))
}

async function runsyncOf(variant: VariantName): Promise<{ status: string; output: unknown[] }> {
  const worker = await loadVariant(variant)
  const response = await worker.fetch(
    new Request('http://bench/runsync', { method: 'POST', body: JSON.stringify({ input: { n: 5, tick: 0 } }), headers: { 'content-type': 'application/json' } })
  )
  const { status, output } = (await response.json()) as { status: string; output: unknown[] }
  return { status, output }
}

const worktrees = () => execFileSync('git', ['worktree', 'list', '--porcelain'], { cwd: root, encoding: 'utf8' })

describe(`bench variant ${baselineVariant}, from a worktree of HEAD`, () => {
  let baseline: Baseline | undefined
  beforeAll(() => {
    baseline = checkOutBaseline('HEAD')
    process.env[baselineSrcVariable] = baseline.src
  })
  afterAll(() => {
    delete process.env[baselineSrcVariable]
    baseline?.remove()
  })

  it("checks HEAD out outside the repository: the variant imports that worktree's src/, not this tree's", () => {
    expect(baseline!.commit).toBe(execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim())
    expect(baseline!.src.startsWith(root)).toBe(false)
    expect(existsSync(baseline!.src)).toBe(true)
    expect(worktrees()).toContain(baseline!.dir)
  })

  it('streams the same 300 outputs as edgepod', async () => {
    const expected = Array.from({ length: 300 }, (_, i) => ({ i, token: 'word' }))
    expect(await outputsOf(baselineVariant, 300)).toEqual(expected)
    expect(await outputsOf('edgepod', 300)).toEqual(expected)
  })

  it('answers /runsync as edgepod does', async () => {
    const expected = { status: 'COMPLETED', output: Array.from({ length: 5 }, (_, i) => ({ i, token: 'word' })) }
    expect(await runsyncOf(baselineVariant)).toEqual(expected)
    expect(await runsyncOf('edgepod')).toEqual(expected)
  })
})

describe('bench --baseline', () => {
  it('removes its worktree, the temporary directory included, and leaves node_modules alone', () => {
    const baseline = checkOutBaseline('HEAD')
    expect(existsSync(`${baseline.dir}/node_modules/hono/package.json`)).toBe(true)
    baseline.remove()
    baseline.remove()
    expect(existsSync(baseline.dir)).toBe(false)
    expect(worktrees()).not.toContain(baseline.dir)
    expect(existsSync(`${root}node_modules/hono/package.json`)).toBe(true)
  })

  it('refuses what is not a commit, and edgepod-baseline without --baseline, before starting anything', () => {
    // No repetitions and a scratch --out: should a refusal ever go missing, nothing runs or is overwritten.
    const out = join(tmpdir(), 'edgepod-bench-refusal.json')
    const bench = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--runtimes', 'node', '--reps', '0', '--out', out, ...args], { cwd: root, encoding: 'utf8' })
    const withoutRef = bench('--variants', `edgepod,${baselineVariant}`)
    expect(withoutRef.status).not.toBe(0)
    expect(withoutRef.stderr).toContain('--baseline <git-ref>')
    const notACommit = bench('--baseline', 'no-such-ref-anywhere')
    expect(notACommit.status).not.toBe(0)
    expect(notACommit.stderr).toContain('--baseline no-such-ref-anywhere: not a commit')
  })
})

describe('bench report', () => {
  it('gives the median of ratios paired by repetition, not the ratio of medians', () => {
    const record = (rep: number, variant: VariantName, eventsPerSecond: number): BenchRecord => ({
      rep,
      runtime: 'node',
      variant,
      metric: 'throughput',
      figures: { eventsPerSecond, eventsPerServerCpuSecond: 1, serverCpuPercent: 1, clientCpuPercent: 1, bytesPerEvent: 1 },
    })
    // Paired ratios 2, 0.5 and 0.9: median 0.90. The medians alone (100 and 110) would say 0.91.
    const records = [record(1, 'raw', 100), record(1, 'edgepod', 200), record(2, 'raw', 200), record(2, 'edgepod', 100), record(3, 'raw', 110), record(3, 'edgepod', 99)]
    const report = reportOf({ command: 'test', startedAt: 'now', seconds: 1, machine: {}, records })
    const row = report.split('\n').find((line) => line.startsWith('| node | edgepod |'))
    expect(row).toContain('0.90×')
    expect(row).toContain('(99–200)')
  })

  it('ends a run with a baseline with edgepod ÷ baseline, paired by repetition', () => {
    const record = (rep: number, variant: VariantName, metric: string, figures: Record<string, number>): BenchRecord => ({ rep, runtime: 'node', variant, metric, figures })
    const records = [
      record(1, 'edgepod', 'throughput', { eventsPerSecond: 300 }),
      record(1, baselineVariant, 'throughput', { eventsPerSecond: 100 }),
      record(2, 'edgepod', 'throughput', { eventsPerSecond: 100 }),
      record(2, baselineVariant, 'throughput', { eventsPerSecond: 200 }),
      record(3, 'edgepod', 'throughput', { eventsPerSecond: 110 }),
      record(3, baselineVariant, 'throughput', { eventsPerSecond: 100 }),
      record(1, 'edgepod', 'runsync', { requestsPerSecond: 50, p99: 4 }),
      record(1, baselineVariant, 'runsync', { requestsPerSecond: 100, p99: 2 }),
    ]
    const baseline = { ref: 'main', commit: '0123456789abcdef' }
    const report = reportOf({ command: 'test', startedAt: 'now', seconds: 1, machine: {}, baseline, records })
    expect(report).toContain(`- ${baselineVariant}: \`main\` = 0123456789abcdef`)
    // The baseline is a row of the variants' tables like any other.
    expect(report.split('\n').some((line) => line.startsWith(`| node | ${baselineVariant} |`))).toBe(true)
    const table = report.slice(report.indexOf(`### edgepod against ${baselineVariant}`)).split('\n')
    expect(table[0]).toContain('`main`, 0123456789')
    const cellsOf = (start: string) => table.find((line) => line.startsWith(start))!.split('|').map((cell) => cell.trim())
    const header = cellsOf('| runtime |')
    const row = cellsOf('| node |')
    // Paired ratios 3, 0.5 and 1.1: median 1.10. Runsync: 0.5 for req/s, 2 for p99.
    expect(row[header.indexOf('stream events/s')]).toBe('1.10×')
    expect(row[header.indexOf('/runsync req/s')]).toBe('0.50×')
    expect(row[header.indexOf('/runsync p99')]).toBe('2.00×')
    expect(reportOf({ command: 'test', startedAt: 'now', seconds: 1, machine: {}, records: records.filter((one) => one.variant === 'edgepod') })).not.toContain(
      '### edgepod against'
    )
  })
})

describe('bench fleet', () => {
  it('stamps every event, or the first only, with the pid that yields it and when', async () => {
    const before = wallClock()
    const every: WorkloadEvent[] = []
    for await (const event of tokens({ n: 3, tick: 0, stamp: 'every' })) every.push(event)
    expect(every.map((event) => event.pid)).toEqual([process.pid, process.pid, process.pid])
    expect(every.every((event) => event.at! >= before && event.at! <= wallClock())).toBe(true)
    const first: WorkloadEvent[] = []
    for await (const event of tokens({ n: 3, tick: 0, stamp: 'first' })) first.push(event)
    expect(first[0]).toMatchObject({ i: 0, token: 'word', pid: process.pid })
    expect(first.slice(1)).toEqual([{ i: 1, token: 'word' }, { i: 2, token: 'word' }])
  })

  it("reads each SSE frame's data across chunks, frames without data left out", () => {
    const data: string[] = []
    const feed = sseDataOf((text) => data.push(text))
    const body = ': edgepod\n\nid: 1\nevent: output\ndata: {"i":0}\n\n: ping\n\nid: 2\ndata:{"i":1}\n\ndata: a\ndata: b\n\n'
    // Split at every place: a frame, a line or the blank line between frames may be cut anywhere.
    for (let cut = 0; cut <= body.length; cut++) {
      data.length = 0
      feed(body.slice(0, cut))
      feed(body.slice(cut))
      expect(data).toEqual(['{"i":0}', '{"i":1}', 'a\nb'])
    }
  })

  it('counts the Redis commands between two readings of INFO commandstats, pings and INFO left out', () => {
    const info = (calls: Record<string, number>) =>
      ['# Commandstats', ...Object.entries(calls).map(([name, count]) => `cmdstat_${name}:calls=${count},usec=10,usec_per_call=1.00,rejected_calls=0,failed_calls=0`)].join('\r\n')
    const before = parseCommandStats(info({ evalsha: 10, xadd: 4, ping: 3 }))
    expect(before).toEqual({ evalsha: 10, xadd: 4 })
    const after = parseCommandStats(info({ evalsha: 16, xadd: 4, 'script|load': 2, xrange: 1, ping: 9, info: 2 }))
    expect(countsBetween(before, after)).toEqual({ evalsha: 6, 'script|load': 2, xrange: 1 })
  })

  it('takes the background out and gives what one more unit of work costs', () => {
    const background = dividedBy({ evalsha: 8, zpopmin: 4 }, 2)
    expect(background).toEqual({ evalsha: 4, zpopmin: 2 })
    // A small run of 0.5 s and a large one of 1.5 s: the large one did 100 more batches.
    const small = lessBackground({ evalsha: 42, xadd: 21, zpopmin: 1 }, 0.5, background)
    const large = lessBackground({ evalsha: 246, xadd: 121, zpopmin: 3 }, 1.5, background)
    expect(small).toEqual({ evalsha: 40, xadd: 21, zpopmin: 0 })
    expect(perExtraUnit(small, large, 100)).toEqual({ evalsha: 2, xadd: 1, zpopmin: 0 })
  })

  it('reports the fleet beside the in-memory store, paired by repetition, and the commands per unit of work', () => {
    const record = (rep: number, variant: VariantName, metric: string, figures: Record<string, number>): BenchRecord => ({ rep, runtime: 'node', variant, metric, figures })
    const records = [
      record(1, 'edgepod', 'fleet-throughput', { eventsPerSecond: 800 }),
      record(1, 'edgepod-redis', 'fleet-throughput', { eventsPerSecond: 400, ownerEventsPerSecond: 500 }),
      record(2, 'edgepod', 'fleet-throughput', { eventsPerSecond: 1000 }),
      record(2, 'edgepod-redis', 'fleet-throughput', { eventsPerSecond: 300, ownerEventsPerSecond: 500 }),
      record(1, 'edgepod', 'fleet-jobs', { oneJobsPerSecond: 100 }),
      record(1, 'edgepod-redis', 'fleet-jobs', { oneJobsPerSecond: 50, fleetJobsPerSecond: 25 }),
      record(1, 'edgepod-redis', 'redis-commands', { 'job, 1 member/evalsha': 10, 'job, 1 member/(GET /status)': 1, 'batch, no reader/evalsha': 1, 'batch, no reader/xadd': 1 }),
      record(2, 'edgepod-redis', 'redis-commands', { 'job, 1 member/evalsha': 12, 'job, 1 member/(GET /status)': 1, 'batch, no reader/evalsha': 1 }),
    ]
    const lines = reportOf({ command: 'test', startedAt: 'now', seconds: 1, machine: {}, records }).split('\n')
    const cellsOf = (start: string, from: number) => lines.slice(from).find((line) => line.startsWith(start))!.split('|').map((cell) => cell.trim())
    const throughput = lines.findIndex((line) => line.startsWith('### One stream across members'))
    // Paired ratios 0.5 and 0.3: median 0.40; the in-memory store has no reader on the owner of its own.
    expect(cellsOf('| node | edgepod-redis |', throughput)).toContain('0.40×')
    expect(cellsOf('| node | edgepod |', throughput)).toContain('—')
    const jobs = lines.findIndex((line) => line.startsWith('### `/run` jobs per second over 1 and 3 members'))
    const header = cellsOf('| runtime |', jobs)
    expect(cellsOf('| node | edgepod-redis |', jobs)[header.indexOf('1 member ×edgepod')]).toBe('0.50×')
    expect(cellsOf('| node | edgepod-redis |', jobs)[header.indexOf('3 members ×edgepod')]).toBe('0.25×')
    const commands = lines.findIndex((line) => line.startsWith('### Redis commands per unit of work'))
    expect(lines[commands]).toContain('median of 2 repetitions')
    expect(cellsOf('| command |', commands)).toEqual(['', 'command', 'job, 1 member', 'batch, no reader', ''])
    expect(cellsOf('| evalsha |', commands)).toEqual(['', 'evalsha', '11.00', '1.00', ''])
    // Called in one repetition of two: the median counts the other as 0.
    expect(cellsOf('| xadd |', commands)).toEqual(['', 'xadd', '·', '0.50', ''])
    expect(cellsOf('| (GET /status) |', commands)).toEqual(['', '(GET /status)', '1.00', '·', ''])
  })
})

describe('bench on the Durable Object store', () => {
  it('serves edgepod-do and its baseline on workerd only, the other variants everywhere', () => {
    for (const variant of [durableObjectVariant, durableObjectBaselineVariant] as const) {
      expect(servedOn(variant, 'workerd')).toBe(true)
      for (const runtime of ['node', 'bun', 'deno'] as const) expect(servedOn(variant, runtime)).toBe(false)
    }
    expect(servedOn('edgepod', 'node')).toBe(true)
    expect(servedOn(baselineVariant, 'workerd')).toBe(true)
  })

  it('adds the baseline twin of each chosen variant, or edgepod-baseline when none has one', () => {
    expect(baselinesFor(['edgepod'])).toEqual([baselineVariant])
    expect(baselinesFor([durableObjectVariant])).toEqual([durableObjectBaselineVariant])
    expect(baselinesFor(['raw', 'edgepod', durableObjectVariant])).toEqual([baselineVariant, durableObjectBaselineVariant])
    expect(baselinesFor(['raw'])).toEqual([baselineVariant])
  })

  it("finds the baseline's Cloudflare entry beside its src/index.ts, and refuses another path", () => {
    expect(cloudflareEntryOf('/tmp/edgepod-baseline-x/edgepod/src/index.ts')).toBe('/tmp/edgepod-baseline-x/edgepod/src/adapter/cloudflare-workers/index.ts')
    expect(() => cloudflareEntryOf('/tmp/edgepod/lib/index.ts')).toThrow('src/index.ts')
  })

  it('ends the report with each variant against its own twin, paired by repetition', () => {
    const record = (rep: number, variant: VariantName, figures: Record<string, number>): BenchRecord => ({ rep, runtime: 'workerd', variant, metric: 'jobs', figures })
    const records = [
      record(1, 'edgepod', { jobsPerSecond: 100, serverCpuMsPerJob: 1 }),
      record(1, baselineVariant, { jobsPerSecond: 100, serverCpuMsPerJob: 1 }),
      record(1, durableObjectVariant, { jobsPerSecond: 10, serverCpuMsPerJob: 6 }),
      record(1, durableObjectBaselineVariant, { jobsPerSecond: 80, serverCpuMsPerJob: 1 }),
      record(2, durableObjectVariant, { jobsPerSecond: 30, serverCpuMsPerJob: 4 }),
      record(2, durableObjectBaselineVariant, { jobsPerSecond: 100, serverCpuMsPerJob: 1 }),
    ]
    const lines = reportOf({ command: 'test', startedAt: 'now', seconds: 1, machine: {}, baseline: { ref: 'old', commit: 'abcdef0123' }, records }).split('\n')
    expect(lines).toContain(`- ${baselineVariant}, ${durableObjectBaselineVariant}: \`old\` = abcdef0123`)
    const cellsOf = (heading: string) => {
      const from = lines.findIndex((line) => line.startsWith(heading))
      const header = lines.slice(from).find((line) => line.startsWith('| runtime |'))!.split('|').map((cell) => cell.trim())
      const row = lines.slice(from).find((line) => line.startsWith('| workerd |'))!.split('|').map((cell) => cell.trim())
      return (label: string) => row[header.indexOf(label)]
    }
    expect(cellsOf(`### edgepod against ${baselineVariant}`)('/run jobs/s')).toBe('1.00×')
    // Paired ratios 0.125 and 0.3: median 0.21 (the medians alone, 20 and 90, would say 0.22).
    const twins = cellsOf(`### ${durableObjectVariant} against ${durableObjectBaselineVariant}`)
    expect(twins('/run jobs/s')).toBe('0.21×')
    expect(twins('/run server CPU per job')).toBe('5.00×')
  })
})

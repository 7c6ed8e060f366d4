/**
 * The benchmark measures what it claims: every variant serves the same workload, the same runsync
 * answer and the same cancellation probe, and the report pairs ratios repetition by repetition.
 * No timings here: the targets live in bench/.
 */
import { describe, expect, it } from 'vitest'
import type { VariantName } from '../bench/hosts/load-variant.ts'
import { loadVariant, variantNames } from '../bench/hosts/load-variant.ts'
import type { BenchRecord } from '../bench/lib/report.ts'
import { reportOf } from '../bench/lib/report.ts'
import { streamTargetOf } from '../bench/lib/http.ts'
import type { WorkloadParams } from '../bench/workload.ts'
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
})

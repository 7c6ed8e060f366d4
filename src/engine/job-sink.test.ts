import { describe, expect, it } from 'vitest'
import type { WorkerConfig } from '../config.ts'
import { utf8Length } from '../utf8-length.ts'
import { engineWith, ended, logOf, outputsOf } from '../../test/helpers/engine.ts'

async function runOnce(config: WorkerConfig, input: unknown = {}) {
  const engine = engineWith(config)
  const record = await engine.submit({ input })
  await ended(engine, record)
  return { engine, record, status: await engine.status(record) }
}

const yields = (...values: unknown[]) =>
  function* () {
    yield* values
  }

describe('limits that never lose data silently', () => {
  it('fails a job whose one output is over maxEventBytes, keeping what it streamed before', async () => {
    const { status, record, engine } = await runOnce({
      handler: yields('small', 'x'.repeat(200)),
      returnAggregateStream: true,
      maxEventBytes: 100,
    })
    expect(status).toMatchObject({
      status: 'FAILED',
      output: ['small'],
      errorDetail: { type: 'PayloadTooLargeError', code: 'payload_too_large' },
    })
    expect(status.error).toBe("output 2 is 202 bytes, over the limit of 100 for one event (the worker's maxEventBytes option raises it)")
    expect(logOf(engine, record).events.map((e) => e.type)).toEqual(['output', 'done'])
  })

  it('measures events in UTF-8 bytes, not characters', async () => {
    // 40 characters of 3 bytes each: 42 characters of JSON, 122 bytes.
    const { status } = await runOnce({ handler: yields('€'.repeat(40)), maxEventBytes: 100 })
    expect(status).toMatchObject({ status: 'FAILED', errorDetail: { code: 'payload_too_large' } })
  })

  it('fails a stream whose outputs together pass maxResultBytes: FAILED, never COMPLETED without output', async () => {
    const outputs = Array.from({ length: 10 }, (_, i) => `chunk-${i}`.padEnd(30, '.'))
    const { status } = await runOnce({ handler: yields(...outputs), returnAggregateStream: true, maxResultBytes: 200 })
    expect(status.status).toBe('FAILED')
    expect(status.errorDetail?.code).toBe('payload_too_large')
    expect(status.error).toMatch(/^output \d+ takes the job's outputs over the limit of 200 bytes \(the worker's maxResultBytes option raises it\)$/)
    const kept = status.output as string[]
    expect(kept.length).toBeGreaterThan(0)
    expect(kept).toEqual(outputs.slice(0, kept.length))
    expect(utf8Length(JSON.stringify(kept))).toBeLessThanOrEqual(200)
  })

  it.each<[string, number, number]>([
    // 10 outputs of '€€€€€' (7 chars of JSON, 17 bytes) plus a separator each: 180 bytes in all.
    ['exactly at the limit', 180, 10],
    ['one byte under what the outputs need', 179, 9],
  ])('counts the outputs exactly in UTF-8 bytes %s, though it measures them only near the limit', async (_name, maxResultBytes, kept) => {
    const { status } = await runOnce({ handler: yields(...Array.from({ length: 10 }, () => '€€€€€')), returnAggregateStream: true, maxResultBytes })
    expect(status.status).toBe(kept === 10 ? 'COMPLETED' : 'FAILED')
    expect(status.output).toHaveLength(kept)
  })

  it('skips progress events when it measures the outputs it let through on the bound', async () => {
    const handler = async function* (job: { progress(value: unknown): void }) {
      for (let i = 0; i < 10; i++) {
        job.progress('p'.repeat(50))
        yield '€€€€€'
      }
    }
    const exact = await runOnce({ handler, returnAggregateStream: true, maxResultBytes: 180 })
    expect(exact.status).toMatchObject({ status: 'COMPLETED' })
    expect(exact.status.output).toHaveLength(10)
    const under = await runOnce({ handler, returnAggregateStream: true, maxResultBytes: 179 })
    expect(under.status).toMatchObject({ status: 'FAILED', errorDetail: { code: 'payload_too_large' } })
    expect(under.status.output).toHaveLength(9)
  })

  it('bounds the outputs even when aggregation is off, since all are kept for resume', async () => {
    const { status } = await runOnce({ handler: yields(...Array.from({ length: 100 }, () => 'abcdefghij')), maxResultBytes: 500 })
    expect(status).toMatchObject({ status: 'FAILED', output: [], errorDetail: { code: 'payload_too_large' } })
  })

  it("fails a plain handler whose return value is over maxResultBytes, but not for maxEventBytes", async () => {
    const big = await runOnce({ handler: () => 'y'.repeat(300), maxResultBytes: 200 })
    expect(big.status).toMatchObject({ status: 'FAILED', errorDetail: { code: 'payload_too_large' } })
    expect(big.status).not.toHaveProperty('output')
    const fine = await runOnce({ handler: () => 'y'.repeat(300), maxEventBytes: 100 })
    expect(fine.status).toMatchObject({ status: 'COMPLETED', output: 'y'.repeat(300) })
  })

  it('ends a job whose progress value is over maxEventBytes FAILED with payload_too_large, even when the handler catches', async () => {
    let caught: unknown
    const { status } = await runOnce({
      handler: (job) => {
        try {
          job.progress('z'.repeat(500))
        } catch (error) {
          caught = error
        }
        return 'went on'
      },
      maxEventBytes: 100,
    })
    expect(status).toMatchObject({ status: 'FAILED', errorDetail: { code: 'payload_too_large' } })
    expect(status).not.toHaveProperty('output')
    expect(status.error).toMatch(/^progress is \d+ bytes, over the limit of 100 for one event \(the worker's maxEventBytes option raises it\)$/)
    expect(caught).toMatchObject({ name: 'RangeError', code: 'payload_too_large' })
  })
})

describe('aggregation you can choose', () => {
  it("keeps RunPod's array with returnAggregateStream, or 'array'", async () => {
    for (const config of [{ returnAggregateStream: true }, { aggregate: 'array' as const }]) {
      const { status } = await runOnce({ handler: yields('a', { b: 1 }), ...config })
      expect(status.output).toEqual(['a', { b: 1 }])
    }
  })

  it("concatenates a token stream into one string with 'concat' (non-strings as JSON)", async () => {
    const { status } = await runOnce({ handler: yields('Hello', ', ', 'world', 1, { n: 2 }), aggregate: 'concat' })
    expect(status).toMatchObject({ status: 'COMPLETED', output: 'Hello, world1{"n":2}' })
  })

  it('folds the outputs with a custom reducer, from a fresh copy of initial for every job', async () => {
    const engine = engineWith({
      handler: yields(3, 4, 5),
      aggregate: {
        initial: { sum: 0, seen: [] as number[] },
        reduce: (result: { sum: number; seen: number[] }, output: number, index: number) => {
          result.sum += output
          result.seen.push(index)
          return result
        },
      },
    })
    for (let run = 0; run < 2; run++) {
      const record = await engine.submit({ input: {} })
      await ended(engine, record)
      expect((await engine.status(record)).output).toEqual({ sum: 12, seen: [0, 1, 2] })
    }
  })

  it('fails the job with the error of a reducer that throws, keeping the streamed outputs', async () => {
    const { status, record, engine } = await runOnce({
      handler: yields(1, 2),
      aggregate: {
        initial: 0,
        reduce: (sum: number, output: number) => {
          if (output === 2) throw new RangeError('reducer broke')
          return sum + output
        },
      },
    })
    expect(status).toMatchObject({ status: 'FAILED', error: 'reducer broke', errorDetail: { type: 'RangeError' } })
    expect(outputsOf(engine, record)).toEqual(['1', '2'])
  })

  it('bounds a concatenated or reduced result by maxResultBytes', async () => {
    // Strings: the joined string (242 bytes of JSON) is never larger than the outputs (246).
    const concat = await runOnce({ handler: yields('"'.repeat(60), '"'.repeat(60)), aggregate: 'concat', maxResultBytes: 250 })
    expect(concat.status).toMatchObject({ status: 'COMPLETED', output: '"'.repeat(120) })
    // Objects are joined as JSON text, escaped again in the string: 138 bytes of outputs, 266 of result.
    const quoted = { q: '"'.repeat(30) }
    const tight = await runOnce({ handler: yields(quoted, quoted), aggregate: 'concat', maxResultBytes: 200 })
    expect(tight.status).toMatchObject({ status: 'FAILED', errorDetail: { code: 'payload_too_large' } })
    expect(tight.status.error).toBe("the aggregate is 266 bytes, over the limit of 200 (the worker's maxResultBytes option raises it)")
    const reduced = await runOnce({
      handler: yields(1, 2, 3),
      aggregate: { initial: '', reduce: (text: string) => text + 'w'.repeat(100) },
      maxResultBytes: 250,
    })
    expect(reduced.status).toMatchObject({ status: 'FAILED', errorDetail: { code: 'payload_too_large' } })
  })

  it('refuses an aggregate option that is none of the kinds', () => {
    expect(() => engineWith({ handler: () => 1, aggregate: 'join' as never })).toThrow(/aggregate must be/)
  })
})

describe('job.log', () => {
  const typesOf = (engine: Parameters<typeof logOf>[0], record: Parameters<typeof logOf>[1]) => logOf(engine, record).events.map((e) => e.type)

  it('appends a log event in order with the outputs and progress, counted in the seqs, and leaves the status as it was', async () => {
    const { status, record, engine } = await runOnce({
      handler: async function* (job) {
        job.log('first')
        yield 'a'
        job.progress(50)
        job.log('second', 'error')
        yield 'b'
      },
      returnAggregateStream: true,
    })
    expect(status).toEqual({ id: record.id, status: 'COMPLETED', output: ['a', 'b'], progress: 50, delayTime: expect.any(Number), executionTime: expect.any(Number), workerId: expect.any(String) })
    const { events } = logOf(engine, record)
    expect(events.map((e) => [e.seq, e.type])).toEqual([[1, 'log'], [2, 'output'], [3, 'progress'], [4, 'log'], [5, 'output'], [6, 'done']])
    expect(JSON.parse(events[3]!.json)).toEqual({ message: 'second', level: 'error', time: expect.any(Number) })
  })

  it('lets a plain handler log too, and ignores a line logged after the job ended', async () => {
    let later: (() => void) | undefined
    const { record, engine, status } = await runOnce({
      handler: (job) => {
        job.log('working')
        later = () => job.log('too late')
        return 'result'
      },
    })
    expect(status).toMatchObject({ status: 'COMPLETED', output: 'result' })
    later!()
    expect(typesOf(engine, record)).toEqual(['log', 'output', 'done'])
  })

  it('throws a TypeError in the handler for a bad level: uncaught, the job fails with it; caught, it goes on', async () => {
    const failed = await runOnce({ handler: (job) => job.log('x', 'fatal' as never) })
    expect(failed.status).toMatchObject({ status: 'FAILED', errorDetail: { type: 'TypeError' } })
    expect(failed.status.error).toBe('job.log: the level must be one of debug, info, warn, error, got "fatal"')
    expect(typesOf(failed.engine, failed.record)).toEqual(['done'])
    const caught = await runOnce({
      handler: (job) => {
        try {
          job.log('x', 'fatal' as never)
        } catch {
          return 'went on'
        }
      },
    })
    expect(caught.status).toMatchObject({ status: 'COMPLETED', output: 'went on' })
  })

  it('cuts a line over maxEventBytes to fit, with its marker, and never fails the job nor loses an output for it', async () => {
    const { status, record, engine } = await runOnce({
      handler: async function* (job) {
        yield 'before'
        job.log('€'.repeat(1000), 'warn')
        yield 'after'
      },
      returnAggregateStream: true,
      maxEventBytes: 300,
    })
    expect(status).toMatchObject({ status: 'COMPLETED', output: ['before', 'after'] })
    const line = logOf(engine, record).events.find((e) => e.type === 'log')!
    expect(utf8Length(line.json)).toBeLessThanOrEqual(300)
    expect(JSON.parse(line.json)).toMatchObject({ level: 'warn', message: expect.stringMatching(/^€+ … \[truncated: 3000 bytes in all\]$/) })
  })
})

/**
 * What both modes of the soak write about a run: the commit, summaries of sampled series, progress
 * on stderr, and the report as JSON with its verdict.
 * @module
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { median, range } from '../bench/lib/stats.ts'
import type { Tally } from './tally.ts'
import { mustBeZero } from './tally.ts'

/** Least, median and most of a series of samples. */
export function summaryOf(samples: number[]): { min: number; median: number; max: number; samples: number } {
  const [min, max] = range(samples)
  return { min, median: median(samples), max, samples: samples.length }
}

/** The commit the run measured, marked dirty when the tree has changes. */
export function commitOf(): string {
  const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
  const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'soak'], { encoding: 'utf8' }).trim() !== ''
  return dirty ? `${head}+changes` : head
}

/** Says how the soak is doing, on stderr. */
export const log = (text: string) => console.error(`soak: ${text}`)

/** The command line that ran this soak. */
export const commandOf = () => `npm run soak -- ${process.argv.slice(2).join(' ')}`.trim()

/**
 * Writes `report` with its verdict to `out` as JSON, prints the tally, the verdict and the counts
 * that must be 0 on stdout, and sets the exit code.
 */
export function writeReport(out: string, report: { tally: Tally }, verdict: { passed: boolean }): void {
  const { tally } = report
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, `${JSON.stringify({ ...report, verdict }, null, 2)}\n`)
  console.log(JSON.stringify({ tally, verdict, mustBeZero: Object.fromEntries(mustBeZero.map((key) => [key, tally[key]])) }, null, 2))
  log(`report written to ${out}`)
  process.exitCode = verdict.passed ? 0 : 1
}

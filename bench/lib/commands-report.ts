/**
 * The report's table of Redis commands (the `redis-commands` metric): a row per command, a column
 * per unit of work (a job on 1 or 3 members, an event batch with its reader here or there, a second
 * of the fleet's background), the median over repetitions.
 * @module
 */
import type { BenchRecord } from './report.ts'
import { median } from './stats.ts'

/** The figure of /status requests a job took: a row of its own, not a command. */
const POLLS = '(GET /status)'

/** Commands first by how many a batch read across members costs, then by name; `evalsha` on top. */
function rowOrder(counts: Map<string, Map<string, number>>, units: string[]): string[] {
  const weight = (command: string) => units.reduce((sum, unit) => sum + (counts.get(command)?.get(unit) ?? 0), 0)
  return [...counts.keys()].sort((a, b) => (a === 'evalsha' ? -1 : b === 'evalsha' ? 1 : weight(b) - weight(a) || a.localeCompare(b)))
}

/** The table's lines, one per runtime measured; none without the metric. */
export function commandsTable(records: BenchRecord[]): string[] {
  const measured = records.filter((record) => record.metric === 'redis-commands' && record.figures)
  const lines: string[] = []
  for (const runtime of new Set(measured.map((record) => record.runtime))) {
    const ofRuntime = measured.filter((record) => record.runtime === runtime)
    const units: string[] = []
    const values = new Map<string, Map<string, number[]>>()
    for (const record of ofRuntime) {
      for (const [key, value] of Object.entries(record.figures!)) {
        const slash = key.indexOf('/')
        const unit = key.slice(0, slash)
        const command = key.slice(slash + 1)
        if (!units.includes(unit)) units.push(unit)
        if (!values.has(command)) values.set(command, new Map())
        const byUnit = values.get(command)!
        if (!byUnit.has(unit)) byUnit.set(unit, [])
        byUnit.get(unit)!.push(value)
      }
    }
    // A command a repetition did not call counts 0 there.
    const reps = ofRuntime.length
    const counts = new Map([...values].map(([command, byUnit]) => [command, new Map([...byUnit].map(([unit, list]) => [unit, median([...list, ...Array(reps - list.length).fill(0)])]))]))
    const polls = counts.get(POLLS)
    counts.delete(POLLS)
    const format = (value: number | undefined) => (value === undefined || value < 0.005 ? '·' : value.toFixed(2))
    lines.push(`### Redis commands per unit of work (${runtime}, edgepod-redis), median of ${reps} repetition${reps === 1 ? '' : 's'}`, '')
    lines.push(`| command | ${units.join(' | ')} |`, `|${' --- |'.repeat(1 + units.length)}`)
    for (const command of rowOrder(counts, units)) lines.push(`| ${command} | ${units.map((unit) => format(counts.get(command)!.get(unit))).join(' | ')} |`)
    const total = (unit: string) => [...counts.values()].reduce((sum, byUnit) => sum + Math.max(0, byUnit.get(unit) ?? 0), 0)
    lines.push(`| **all** | ${units.map((unit) => `**${total(unit).toFixed(2)}**`).join(' | ')} |`)
    if (polls) lines.push(`| ${POLLS} | ${units.map((unit) => format(polls.get(unit))).join(' | ')} |`)
    lines.push('')
  }
  return lines
}

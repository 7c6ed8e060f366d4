/**
 * Redis commands counted from `INFO commandstats`: how many of each a known amount of work cost.
 * Redis counts the commands a script runs as well as the `EVALSHA` that ran it, so the counts hold
 * both: `evalsha` is the scripts' round trips, the rest what Redis ran for them and plain commands.
 * @module
 */

/** Calls of each command, by its lower-case name (`evalsha`, `xrange`, `script|load`...). */
export type CommandCounts = Record<string, number>

/**
 * Left out: what no work of a job's causes. node-redis pings a quiet connection every 500 ms, and
 * `INFO` is the reading itself.
 */
const IGNORED = new Set(['ping', 'info'])

/** The calls of `INFO commandstats`, as `redis-cli` prints it. */
export function parseCommandStats(info: string): CommandCounts {
  const counts: CommandCounts = {}
  for (const line of info.split('\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim())
    if (match && !IGNORED.has(match[1]!)) counts[match[1]!] = Number(match[2])
  }
  return counts
}

/** What was called between two readings, `after − before`; commands not called are left out. */
export function countsBetween(before: CommandCounts, after: CommandCounts): CommandCounts {
  const calls: CommandCounts = {}
  for (const [name, count] of Object.entries(after)) {
    const called = count - (before[name] ?? 0)
    if (called > 0) calls[name] = called
  }
  return calls
}

/** `counts` divided by `by`: calls per second of a background, per job of a run. */
export function dividedBy(counts: CommandCounts, by: number): CommandCounts {
  return Object.fromEntries(Object.entries(counts).map(([name, count]) => [name, count / by]))
}

/**
 * `counts` less what `background` (calls per second: the fleet's own timers, its sweeps, health
 * reports and claims on its beat) made in `seconds`. Not clamped: a difference of two is taken later.
 */
export function lessBackground(counts: CommandCounts, seconds: number, background: CommandCounts): CommandCounts {
  const net: CommandCounts = { ...counts }
  for (const [name, rate] of Object.entries(background)) net[name] = (net[name] ?? 0) - rate * seconds
  return net
}

/**
 * What one more unit of work costs: the counts of a run of `extraUnits` more (`large`) less those
 * of the same work at a smaller size (`small`), per unit. What every run costs once (creating and
 * ending a job, opening its stream) cancels out.
 */
export function perExtraUnit(small: CommandCounts, large: CommandCounts, extraUnits: number): CommandCounts {
  const per: CommandCounts = {}
  for (const name of new Set([...Object.keys(small), ...Object.keys(large)])) {
    per[name] = ((large[name] ?? 0) - (small[name] ?? 0)) / extraUnits
  }
  return per
}

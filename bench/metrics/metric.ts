/**
 * What every metric is given and gives back.
 * @module
 */
import type { VariantName } from '../hosts/load-variant.ts'
import type { FleetContext } from '../lib/fleet.ts'
import type { RuntimeName } from '../lib/launch.ts'

/** The server a metric measures. */
export interface MetricContext {
  runtime: RuntimeName
  variant: VariantName
  url: string
  /** Root of the server's process tree. */
  pid: number
  /** Smaller loads, for a check that the harness works. */
  quick: boolean
  /**
   * The fleet, for `edgepod-redis` (whose `url` and `pid` are then its solo member: one process
   * on Redis); undefined for a variant served by one process.
   */
  fleet?: FleetContext | undefined
}

/** One repetition's figures, by name. */
export type Figures = Record<string, number>

/** A metric: measures one server once. */
export interface Metric {
  name: string
  /** The variants it applies to (all by default). */
  variants?: readonly VariantName[]
  /** Run only when `--metrics` names it: too long for a default run. */
  optIn?: boolean
  run(context: MetricContext): Promise<Figures>
}

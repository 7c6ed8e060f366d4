/**
 * Loads a variant by name for a host: `bench/variants/<name>.ts`, whose default export is a
 * fetch-API worker.
 * @module
 */
import type { RuntimeName } from '../lib/launch.ts'
import type { BenchWorker } from '../variants/reference-routes.ts'

/** The variants a run serves unless told otherwise, by file name. */
export const variantNames = ['raw', 'raw-batched', 'hono-stream-sse', 'edgepod'] as const

/**
 * edgepod built from another commit's `src/`, for a before/after comparison in one paired run. Not
 * in {@link variantNames}: it has no sources until `npm run bench -- --baseline <git-ref>` checks
 * them out.
 */
export const baselineVariant = 'edgepod-baseline'

/**
 * The `edgepod` worker on the Redis store: not a file of its own but an environment. The bench
 * starts a redis-server and serves `edgepod` in several processes given its URL
 * (`EDGEPOD_REDIS_URL`): a fleet of three members, and a member alone on another prefix (see
 * `bench/lib/fleet.ts`). Node only.
 */
export const fleetVariant = 'edgepod-redis'

/**
 * The `edgepod` worker on edgepod's Durable Object store (`durableObject: 'EDGEPOD_JOBS'`), which
 * the workerd host binds with its SQLite migration. workerd only, so not in {@link variantNames}.
 */
export const durableObjectVariant = 'edgepod-do'

/** {@link durableObjectVariant} built from another commit's sources, as {@link baselineVariant} is `edgepod`. */
export const durableObjectBaselineVariant = 'edgepod-do-baseline'

/**
 * One of {@link variantNames}, {@link baselineVariant}, {@link fleetVariant},
 * {@link durableObjectVariant} or {@link durableObjectBaselineVariant}.
 */
export type VariantName =
  | (typeof variantNames)[number]
  | typeof baselineVariant
  | typeof fleetVariant
  | typeof durableObjectVariant
  | typeof durableObjectBaselineVariant

/** The variants serving edgepod's own routes (`POST /stream`, `/run`...) rather than the references'. */
export const edgepodVariants: readonly VariantName[] = ['edgepod', baselineVariant, fleetVariant, durableObjectVariant, durableObjectBaselineVariant]

/** The variants that need the Durable Object binding: the workerd host binds `EdgepodJobs` for them. */
export const durableObjectVariants: readonly VariantName[] = [durableObjectVariant, durableObjectBaselineVariant]

/** Each variant that has a baseline twin, built from `--baseline`'s commit, and that twin. */
export const baselineTwins: ReadonlyArray<readonly [VariantName, VariantName]> = [
  ['edgepod', baselineVariant],
  [durableObjectVariant, durableObjectBaselineVariant],
]

/** The baseline twins, which have no sources without `--baseline`. */
export const baselineVariants: readonly VariantName[] = baselineTwins.map(([, twin]) => twin)

/**
 * The baselines a run with `--baseline` serves beside `chosen`: the twin of each chosen variant
 * that has one, or `edgepod-baseline` when none has (the comparison the flag always made).
 */
export function baselinesFor(chosen: readonly VariantName[]): VariantName[] {
  const twins = baselineTwins.filter(([variant]) => chosen.includes(variant)).map(([, twin]) => twin)
  return twins.length ? twins : [baselineVariant]
}

/**
 * The environment variable holding the path of the baseline's `src/index.ts`. The launcher sets it
 * for the baseline variants only.
 */
export const baselineSrcVariable = 'EDGEPOD_BASELINE_SRC'

/**
 * What the workerd host defines for `edgepod-do-baseline`: the path of the baseline's
 * `src/adapter/cloudflare-workers/index.ts`, found beside {@link baselineSrcVariable}'s.
 */
export const baselineCloudflareSrcVariable = 'EDGEPOD_BASELINE_CLOUDFLARE_SRC'

/** The path of the Cloudflare entry of the sources whose `src/index.ts` is `src`. */
export function cloudflareEntryOf(src: string): string {
  if (!/[/\\]src[/\\]index\.ts$/.test(src)) throw new Error(`${baselineSrcVariable}: expected the path of a src/index.ts, got ${src}`)
  return `${src.slice(0, -'index.ts'.length)}adapter/cloudflare-workers/index.ts`
}

const servable: readonly string[] = [...variantNames, baselineVariant, durableObjectVariant, durableObjectBaselineVariant]

/** The file of the variant named on a host's command line; throws for an unknown name. */
export function variantUrl(name: string | undefined): URL {
  if (!servable.includes(name ?? '')) {
    throw new Error(`usage: <host> <variant>, one of ${servable.join(', ')}; got ${name}`)
  }
  return new URL(`../variants/${name}.ts`, import.meta.url)
}

/** Imports the variant named on a host's command line. */
export async function loadVariant(name: string | undefined): Promise<BenchWorker> {
  const module = (await import(variantUrl(name).href)) as { default: BenchWorker }
  return module.default
}

/** Whether `runtime` serves `variant`: the Durable Object variants need workerd. (The fleet's runtimes are `fleetRuntimes`.) */
export function servedOn(variant: VariantName, runtime: RuntimeName): boolean {
  return !durableObjectVariants.includes(variant) || runtime === 'workerd'
}

/**
 * Loads a variant by name for a host: `bench/variants/<name>.ts`, whose default export is a
 * fetch-API worker.
 * @module
 */
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

/** One of {@link variantNames}, {@link baselineVariant} or {@link fleetVariant}. */
export type VariantName = (typeof variantNames)[number] | typeof baselineVariant | typeof fleetVariant

/** The variants serving edgepod's own routes (`POST /stream`, `/run`...) rather than the references'. */
export const edgepodVariants: readonly VariantName[] = ['edgepod', baselineVariant, fleetVariant]

/**
 * The environment variable holding the path of the baseline's `src/index.ts`. The launcher sets it
 * for {@link baselineVariant} only.
 */
export const baselineSrcVariable = 'EDGEPOD_BASELINE_SRC'

const servable: readonly string[] = [...variantNames, baselineVariant]

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

/**
 * Loads a variant by name for a host: `bench/variants/<name>.ts`, whose default export is a
 * fetch-API worker.
 * @module
 */
import type { BenchWorker } from '../variants/reference-routes.ts'

/** The variants a host can serve, by file name. */
export const variantNames = ['raw', 'raw-batched', 'hono-stream-sse', 'edgepod'] as const

/** One of {@link variantNames}. */
export type VariantName = (typeof variantNames)[number]

/** The file of the variant named on a host's command line; throws for an unknown name. */
export function variantUrl(name: string | undefined): URL {
  if (!variantNames.includes(name as VariantName)) {
    throw new Error(`usage: <host> <variant>, one of ${variantNames.join(', ')}; got ${name}`)
  }
  return new URL(`../variants/${name}.ts`, import.meta.url)
}

/** Imports the variant named on a host's command line. */
export async function loadVariant(name: string | undefined): Promise<BenchWorker> {
  const module = (await import(variantUrl(name).href)) as { default: BenchWorker }
  return module.default
}

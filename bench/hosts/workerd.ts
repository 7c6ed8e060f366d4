/**
 * The workerd host: `node --import tsx bench/hosts/workerd.ts <variant>` bundles the variant with
 * esbuild (the `workerd` export condition, as wrangler does) and serves it with Miniflare, which
 * runs workerd, on 127.0.0.1 and a free port; prints `listening on <url>`. No compatibility flags:
 * edgepod needs none, and the references get the same. For the baseline variants, the path in
 * `EDGEPOD_BASELINE_SRC` (and, for `edgepod-do-baseline`, the Cloudflare entry beside it) is
 * written into the variant's dynamic import at bundle time (workerd has no `process.env`), so
 * esbuild bundles the baseline's sources.
 *
 * The Durable Object variants get the class `EdgepodJobs` bound as `EDGEPOD_JOBS` on SQLite
 * storage (the `new_sqlite_classes` migration), kept on disk in a temporary directory as
 * `wrangler dev` keeps it under `.wrangler/state`, and removed when the host stops.
 * @module
 */
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { durableObjectBinding } from '../variants/edgepod-worker.ts'
import type { VariantName } from './load-variant.ts'
import { baselineCloudflareSrcVariable, baselineSrcVariable, baselineVariants, cloudflareEntryOf, durableObjectVariants, variantUrl } from './load-variant.ts'

const variant = process.argv[2]
const baselineSrc = process.env[baselineSrcVariable]
if (baselineVariants.includes(variant as VariantName) && !baselineSrc) {
  throw new Error(`${variant}: ${baselineSrcVariable} is not set; run the bench with --baseline <git-ref>`)
}
const define: Record<string, string> = baselineSrc
  ? {
      [`process.env.${baselineSrcVariable}`]: JSON.stringify(baselineSrc),
      [`process.env.${baselineCloudflareSrcVariable}`]: JSON.stringify(cloudflareEntryOf(baselineSrc)),
    }
  : {}

const bundle = await build({
  entryPoints: [fileURLToPath(variantUrl(variant))],
  bundle: true,
  write: false,
  format: 'esm',
  platform: 'neutral',
  conditions: ['edgepod-source', 'workerd', 'worker', 'browser'],
  mainFields: ['module', 'main'],
  target: 'es2022',
  define,
})
const durable = durableObjectVariants.includes(variant as VariantName)
const stateDir = durable ? mkdtempSync(join(tmpdir(), 'edgepod-bench-do-')) : undefined
// Gone with the host, whichever way it ends (a failed start included).
if (stateDir) process.once('exit', () => rmSync(stateDir, { recursive: true, force: true }))
const miniflare = new Miniflare({
  // The one module given as such: from `modules: true` and a script, Miniflare would scan the
  // bundle for imports, and refuse edgepod's dynamic import of the Redis store (taken only when
  // EDGEPOD_REDIS_URL is set, which workerd never has).
  modules: [{ type: 'ESModule', path: 'worker.mjs', contents: bundle.outputFiles[0]!.text }],
  compatibilityDate: '2026-04-01',
  host: '127.0.0.1',
  port: 0,
  ...(stateDir
    ? { durableObjects: { [durableObjectBinding]: { className: 'EdgepodJobs', useSQLite: true } }, durableObjectsPersist: stateDir }
    : {}),
})
const url = await miniflare.ready
console.log(`listening on ${url.origin}`)
const close = () => void miniflare.dispose().finally(() => process.exit(0))
process.once('SIGTERM', close)
process.once('SIGINT', close)

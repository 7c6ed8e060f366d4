/**
 * The workerd host: `node --import tsx bench/hosts/workerd.ts <variant>` bundles the variant with
 * esbuild (the `workerd` export condition, as wrangler does) and serves it with Miniflare, which
 * runs workerd, on 127.0.0.1 and a free port; prints `listening on <url>`. No compatibility flags:
 * edgepod needs none, and the references get the same. For `edgepod-baseline`, the path in
 * `EDGEPOD_BASELINE_SRC` is written into the variant's dynamic import at bundle time (workerd has
 * no `process.env`), so esbuild bundles the baseline's sources.
 * @module
 */
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'
import { fileURLToPath } from 'node:url'
import { baselineSrcVariable, baselineVariant, variantUrl } from './load-variant.ts'

const variant = process.argv[2]
const baselineSrc = process.env[baselineSrcVariable]
if (variant === baselineVariant && !baselineSrc) {
  throw new Error(`${baselineVariant}: ${baselineSrcVariable} is not set; run the bench with --baseline <git-ref>`)
}
const define: Record<string, string> = baselineSrc ? { [`process.env.${baselineSrcVariable}`]: JSON.stringify(baselineSrc) } : {}

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
const miniflare = new Miniflare({
  modules: true,
  script: bundle.outputFiles[0]!.text,
  compatibilityDate: '2026-04-01',
  host: '127.0.0.1',
  port: 0,
})
const url = await miniflare.ready
console.log(`listening on ${url.origin}`)
const close = () => void miniflare.dispose().finally(() => process.exit(0))
process.once('SIGTERM', close)
process.once('SIGINT', close)

/**
 * The workerd host: `node --import tsx bench/hosts/workerd.ts <variant>` bundles the variant with
 * esbuild (the `workerd` export condition, as wrangler does) and serves it with Miniflare, which
 * runs workerd, on 127.0.0.1 and a free port; prints `listening on <url>`. No compatibility flags:
 * edgepod needs none, and the references get the same.
 * @module
 */
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'
import { fileURLToPath } from 'node:url'
import { variantUrl } from './load-variant.ts'

const bundle = await build({
  entryPoints: [fileURLToPath(variantUrl(process.argv[2]))],
  bundle: true,
  write: false,
  format: 'esm',
  platform: 'neutral',
  conditions: ['workerd', 'worker', 'browser'],
  mainFields: ['module', 'main'],
  target: 'es2022',
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

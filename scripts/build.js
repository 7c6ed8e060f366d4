// `npm run build` (and `prepare`, so that installs from a git URL or a folder get it): compiles src/
// into dist/, the only code the package ships. Plain JavaScript, so that it runs before anything
// is built.
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const dist = join(root, 'dist')

const tsc = typescriptCompiler()
// A file deleted from src/ must not live on in the package.
rmSync(dist, { recursive: true, force: true })
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' })

// tsc rewrites `./x.ts` to `./x.js` in the JavaScript it emits, but not in declarations; TypeScript
// releases before 5.7, and tools that read declarations without resolving like tsc, want `.js`.
const relativeTs = /((?:from|import)\s*\(?\s*['"]\.\.?\/[^'"]*?)\.ts(['"])/g
for (const entry of readdirSync(dist, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue
  const path = join(entry.parentPath, entry.name)
  const text = readFileSync(path, 'utf8')
  const rewritten = text.replace(relativeTs, '$1.js$2')
  if (rewritten !== text) writeFileSync(path, rewritten)
}

/**
 * TypeScript's compiler, a devDependency: a checkout has it after `npm install`, and so does the
 * clone npm makes to install from a git URL. A folder installed as it is (`npm install ../edgepod`)
 * has none of its dependencies, which the build needs too: that must be said, not half-built.
 */
function typescriptCompiler() {
  try {
    return createRequire(import.meta.url).resolve('typescript/bin/tsc')
  } catch {
    console.error(`edgepod: building dist/ needs edgepod's devDependencies, which are not installed: run \`npm install\` in ${root} first`)
    process.exit(1)
  }
}

#!/usr/bin/env node
// The edgepod command. Installed from the package it runs dist/, and loads a TypeScript worker file
// through tsx when tsx is installed (an optional peer dependency: library users never pull it in).
// In a checkout of the repository (src/ beside bin/) it runs the TypeScript sources themselves, no
// build step: tsx compiles them, and source-condition.js makes `import 'edgepod'` load src/ too.
import { existsSync } from 'node:fs'
import { register as registerHooks } from 'node:module'

const checkout = existsSync(new URL('../src/cli/main.ts', import.meta.url))
const tsx = await registerTsx()
if (checkout) {
  if (!tsx) {
    console.error('edgepod: this checkout runs its TypeScript sources through tsx, which is missing: run `npm install`')
    process.exit(1)
  }
  registerHooks('./source-condition.js', import.meta.url)
}

const { main } = await import(checkout ? '../src/cli/main.ts' : '../dist/cli/main.js')
const code = await main(process.argv.slice(2))
process.exitCode = code
// A handler that ignores its abort signal can keep timers alive after its job has ended or the
// server has closed; once what was printed has been flushed, nothing is left to wait for.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)))

/** Registers tsx's loaders if tsx can be imported from here; false if it is not installed. */
async function registerTsx() {
  let esm, cjs
  try {
    ;[esm, cjs] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')])
  } catch (error) {
    if (error?.code === 'ERR_MODULE_NOT_FOUND' && /'tsx(\/|')/.test(error.message)) return false
    throw error
  }
  esm.register()
  // As the tsx command does: a `.ts` file outside a `"type": "module"` package is CommonJS to Node,
  // and without tsx's require hook Node 20 fails it with a baffling ERR_REQUIRE_CYCLE_MODULE.
  cjs.register()
  return true
}

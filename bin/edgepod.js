#!/usr/bin/env node
// The edgepod CLI runs its own TypeScript sources and the user's worker file as they are, with no
// build step: tsx compiles `.ts` on import, and source-condition.js makes `import ... from 'edgepod'`
// load `src/` (the `source` export condition) rather than a `dist/` that may not exist.
import { register as registerHooks } from 'node:module'
import { register as registerTsxCjs } from 'tsx/cjs/api'
import { register as registerTsxEsm } from 'tsx/esm/api'

registerTsxEsm()
// As the tsx command does: a `.ts` file outside a `"type": "module"` package is CommonJS to Node,
// and without tsx's require hook Node 20 fails it with a baffling ERR_REQUIRE_CYCLE_MODULE.
registerTsxCjs()
registerHooks('./source-condition.js', import.meta.url)

const { main } = await import('../src/cli/main.ts')
const code = await main(process.argv.slice(2))
process.exitCode = code
// A handler that ignores its abort signal can keep timers alive after its job has ended or the
// server has closed; once what was printed has been flushed, nothing is left to wait for.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)))

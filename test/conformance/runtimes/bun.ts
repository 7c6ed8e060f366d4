import type { Launcher } from './runtime.ts'
import { join } from 'node:path'
import { root, spawnServer } from './spawn-server.ts'

/**
 * Bun, through edgepod's Bun adapter (`edgepod/bun`): `bun bun-entry.ts <file>` on port 0, with
 * `import 'edgepod'` resolved to src/ by the package's `edgepod-source` export condition.
 */
export const bun: Launcher = (workerFile, env) =>
  spawnServer(join(root, 'node_modules/.bin/bun'), ['--conditions=edgepod-source', 'test/conformance/runtimes/bun-entry.ts', workerFile], {
    ready: /at (http:\/\/\S+)/,
    env,
  })

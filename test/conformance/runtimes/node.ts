import type { Launcher } from './runtime.ts'
import { spawnServer } from './spawn-server.ts'

/** Node, through edgepod's own CLI: `edgepod dev <file> --port 0`. */
export const node: Launcher = (workerFile, env) =>
  spawnServer(process.execPath, ['bin/edgepod.js', 'dev', workerFile, '--port', '0'], { ready: /at (http:\/\/\S+)/, env })

import type { Launcher } from './runtime.ts'
import { join } from 'node:path'
import { root, spawnServer } from './spawn-server.ts'

/**
 * Deno, serving the worker file's default export with `deno serve`, which resolves `edgepod` to
 * src/ through the root deno.json. `deno serve` may listen without flags; `--allow-net` lets a
 * worker send webhooks. It prints "deno serve: Listening on http://127.0.0.1:<port>/".
 */
export const deno: Launcher = (workerFile, env) =>
  spawnServer(
    join(root, 'node_modules/.bin/deno'),
    // The environment only when it is given: a worker without it is served as a user's would be.
    ['serve', '--port', '0', '--host', '127.0.0.1', '--allow-net', ...(env ? ['--allow-env', '--allow-read'] : []), workerFile],
    { ready: /Listening on (http:\/\/\S+)/, env }
  )

/**
 * `edgepod dev`: serves a worker on Node, with the playground page beside it, until Ctrl-C.
 * @module
 */
import type { FetchHandler } from '../adapter/node/index.ts'
import { serve } from '../adapter/node/index.ts'
import { PLAYGROUND_PATH, playgroundPathFor, withPlayground } from '../playground/index.ts'
import type { DevCommand } from './args.ts'
import { CliError } from './cli-error.ts'
import { stopSignal } from './signals.ts'

/**
 * Serves `worker` (wrapped with the playground unless `--no-playground`), prints its URLs, and
 * closes the server on SIGINT or SIGTERM; resolves to the exit code.
 */
export async function dev(worker: FetchHandler, command: DevCommand): Promise<number> {
  let server
  try {
    server = await serve(command.playground ? withPlayground(worker) : worker, { port: command.port, hostname: command.host })
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (code === 'EADDRINUSE') throw new CliError(`port ${command.port} is in use; pick another with --port`, { exitCode: 1 })
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
      throw new CliError(`cannot listen on host ${JSON.stringify(command.host)}: ${code}`, { exitCode: 1 })
    }
    throw error
  }
  console.log(`edgepod: serving ${command.file} at ${server.url}`)
  if (command.playground) {
    // The same env as the server's requests: a key in EDGEPOD_API_KEY decides the answer to `/`.
    // A worker that throws on `GET /` still has the page at /playground.
    const path = await playgroundPathFor(worker, server.url, process.env).catch(() => PLAYGROUND_PATH)
    console.log(`edgepod: playground at ${server.url}${path}`)
  }
  await stopSignal()
  console.error('edgepod: stopping')
  await server.close()
  return 0
}

/**
 * `edgepod dev`: serves a worker on Node until Ctrl-C.
 * @module
 */
import type { FetchHandler } from '../adapter/node/index.ts'
import { serve } from '../adapter/node/index.ts'
import type { DevCommand } from './args.ts'
import { CliError } from './cli-error.ts'
import { stopSignal } from './signals.ts'

/** Serves `worker`, prints its URL, and closes the server on SIGINT or SIGTERM; resolves to the exit code. */
export async function dev(worker: FetchHandler, command: DevCommand): Promise<number> {
  let server
  try {
    server = await serve(worker, { port: command.port, hostname: command.host })
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (code === 'EADDRINUSE') throw new CliError(`port ${command.port} is in use; pick another with --port`, { exitCode: 1 })
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
      throw new CliError(`cannot listen on host ${JSON.stringify(command.host)}: ${code}`, { exitCode: 1 })
    }
    throw error
  }
  console.log(`edgepod: serving ${command.file} at ${server.url}`)
  await stopSignal()
  console.error('edgepod: stopping')
  await server.close()
  return 0
}

/**
 * The `edgepod` command line: `dev` serves a worker file, `run` runs one job through it.
 * `bin/edgepod.js` loads this file once TypeScript can be imported.
 * @module
 */
import { parseCommand } from './args.ts'
import { CliError } from './cli-error.ts'
import { dev } from './dev.ts'
import { DEV_WORKER_COMMAND } from './dev-messages.ts'
import type { DevWorkerOptions } from './dev-messages.ts'
import { serveDevWorker } from './dev-worker.ts'
import { jobBodyFrom } from './job-body.ts'
import { loadWorker } from './load-worker.ts'
import { runJob } from './run-job.ts'
import { HELP, SYNOPSIS } from './usage.ts'
import { packageVersion } from './version.ts'

/**
 * Runs the command `argv` (the arguments after the script) and resolves to the exit code:
 * 0 success, 1 failure (for `run`, a job that did not complete), 2 a usage error.
 */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    // Only `edgepod dev` starts this command, over IPC; typed by a user, it is an unknown command.
    if (argv[0] === DEV_WORKER_COMMAND && process.send) return await serveDevWorker(JSON.parse(argv[1] ?? '') as DevWorkerOptions)
    const command = parseCommand(argv, process.env)
    switch (command.name) {
      case 'help':
        process.stdout.write(HELP)
        return 0
      case 'version':
        process.stdout.write(`edgepod ${packageVersion()}\n`)
        return 0
      case 'dev':
        return await dev(command)
      case 'run': {
        // Before the worker loads: a typo in the JSON should not wait for a model to load.
        const body = jobBodyFrom(command, process.cwd())
        return await runJob(await loadWorker(command.file), body)
      }
    }
  } catch (error) {
    if (!(error instanceof CliError)) {
      console.error('edgepod:', error)
      return 1
    }
    console.error(`edgepod: ${error.message}`)
    if (error.cause !== undefined) console.error(error.cause)
    if (error.showUsage) process.stderr.write(SYNOPSIS)
    return error.exitCode
  }
}

/**
 * What a worker file run by itself does (see detect.ts): with `--rp_serve_api`, serve the job API
 * on the runtime's own server; with `--test_input` or a `test_input.json` beside the file, run one
 * job, print it as `edgepod run` does, and exit 0 only if it completed. Node, Bun and Deno alike:
 * each has Node's `process`, `fs` and `path`.
 * @module
 */
import { dirname, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { JobEngine } from '../../engine/engine.ts'
import { CliError } from '../../cli/cli-error.ts'
import { jobBodyFrom } from '../../cli/job-body.ts'
import { runJob } from '../../cli/run-job.ts'
import { stopSignal } from '../../cli/signals.ts'
import { healthPortHandler, healthPortOf } from '../health-port.ts'
import type { FetchHandler, RunningServer } from '../server.ts'
import { serve as serveOnBun } from '../bun/index.ts'
import { serve as serveOnDeno } from '../deno/index.ts'
import { serve as serveOnNode } from '../node/index.ts'
import type { MainModule } from './detect.ts'
import { TEST_INPUT_FILE } from './detect.ts'
import type { RunPodFlags } from './flags.ts'
import { parseRunPodFlags } from './flags.ts'

const SERVE = { node: serveOnNode, bun: serveOnBun, deno: serveOnDeno } as const

/** Runs the worker file `main` as its flags ask; `acts` is false when none asks anything. */
export async function runMainModule(worker: FetchHandler, main: MainModule, acts: boolean): Promise<void> {
  const file = fileURLToPath(main.url)
  const shown = relative(process.cwd(), file) || file
  if (!acts) {
    // The process is about to end with nothing served: say what the file can do.
    process.once('beforeExit', () => console.error(hint(shown)))
    return
  }
  let code: number
  try {
    const flags = parseRunPodFlags(main.args)
    if (flags.serveApi) return await serveApi(worker, main, flags, shown)
    console.error(`edgepod: running one job through ${shown}${flags.testInput === undefined ? ` from ${TEST_INPUT_FILE}` : ''}`)
    code = await runJob(worker, jobBodyFrom({ input: undefined, testInput: flags.testInput }, dirname(file)))
  } catch (error) {
    code = reported(error)
  }
  process.exit(code)
}

/** Serves the worker with RunPod's local-server flags until SIGINT or SIGTERM. */
async function serveApi(worker: FetchHandler, main: MainModule, flags: RunPodFlags, shown: string): Promise<void> {
  // RunPod starts that many server processes; one process running that many jobs at once serves
  // the same requests, and finds every job by its id.
  if (flags.concurrency !== undefined) (worker as { engine?: JobEngine }).engine?.setConcurrency(flags.concurrency)
  const serve = SERVE[main.runtime]
  const servers: RunningServer[] = [await serve(worker, { port: flags.port, hostname: flags.host })]
  console.log(`edgepod: serving ${shown} at ${servers[0]!.url} (--rp_serve_api)`)
  const healthPort = healthPortOf(process.env, servers[0]!.port)
  if (healthPort !== undefined) {
    servers.push(await serve(healthPortHandler(worker), { port: healthPort, hostname: flags.host }))
    console.log(`edgepod: GET /ping at ${servers[1]!.url}/ping (PORT_HEALTH)`)
  }
  await stopSignal()
  await Promise.all(servers.map((server) => server.close()))
  process.exit(0)
}

/** Prints a failure as `edgepod run` does; answers the exit code. */
function reported(error: unknown): number {
  if (error instanceof CliError) {
    console.error(`edgepod: ${error.message}`)
    return error.exitCode
  }
  // A flag's bad value is a usage error; anything else (a port in use) is a failure.
  if (error instanceof TypeError) {
    console.error(`edgepod: ${error.message}`)
    return 2
  }
  console.error('edgepod:', error)
  return 1
}

function hint(file: string): string {
  return (
    `edgepod: ${file} is a worker, and nothing asked it to act: add --rp_serve_api to serve it (or run \`npx edgepod dev ${file}\`), ` +
    `or --test_input '{"input": ...}' (or put a ${TEST_INPUT_FILE} beside it) to run one job.`
  )
}

/**
 * RunPod's command-line flags, as `python handler.py` takes them, for a worker file run by itself
 * (`tsx worker.ts --rp_serve_api`). Only RunPod's flags are read; any other argument is the
 * worker's own and left alone, as RunPod's `parse_known_args` leaves it.
 * @module
 */

/** What the flags ask for. */
export interface RunPodFlags {
  /** `--rp_serve_api`: serve the job API. */
  serveApi: boolean
  /** `--rp_api_port`, RunPod's 8000 by default. */
  port: number
  /** `--rp_api_host`. */
  host: string | undefined
  /** `--rp_api_concurrency`: jobs at once in this process. */
  concurrency: number | undefined
  /** `--test_input`: the request body's JSON text (or `@path` of a file). */
  testInput: string | undefined
}

/** RunPod's local server port. */
const DEFAULT_PORT = 8000

/** The flags that take a value, and RunPod's that take none. */
const VALUED = new Set(['--rp_api_port', '--rp_api_host', '--rp_api_concurrency', '--test_input', '--rp_log_level'])
const BARE = new Set(['--rp_serve_api', '--rp_debugger'])

/** True when `args` hold one of RunPod's flags: a worker file run with them is asked to act. */
export function hasRunPodFlag(args: readonly string[]): boolean {
  return args.some((arg) => VALUED.has(arg.split('=')[0]!) || BARE.has(arg))
}

/**
 * Reads RunPod's flags from `args` (`--flag value` or `--flag=value`); throws a `TypeError` that
 * names the flag for a missing or bad value.
 */
export function parseRunPodFlags(args: readonly string[]): RunPodFlags {
  const values = new Map<string, string>()
  let serveApi = false
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === '--rp_serve_api') serveApi = true
    const equals = arg.indexOf('=')
    const name = equals < 0 ? arg : arg.slice(0, equals)
    if (!VALUED.has(name)) continue
    const value = equals < 0 ? args[++i] : arg.slice(equals + 1)
    if (value === undefined || (equals < 0 && value.startsWith('--'))) throw new TypeError(`${name} needs a value`)
    values.set(name, value)
  }
  const concurrency = values.get('--rp_api_concurrency')
  return {
    serveApi,
    port: portOf(values.get('--rp_api_port')),
    host: values.get('--rp_api_host'),
    concurrency: concurrency === undefined ? undefined : wholeOf('--rp_api_concurrency', concurrency, 1),
    testInput: values.get('--test_input'),
  }
}

function portOf(text: string | undefined): number {
  if (text === undefined) return DEFAULT_PORT
  const port = wholeOf('--rp_api_port', text, 0)
  if (port > 65_535) throw new TypeError(`--rp_api_port must be a number from 0 to 65535, got ${JSON.stringify(text)}`)
  return port
}

function wholeOf(flag: string, text: string, least: number): number {
  const value = /^\d{1,9}$/.test(text) ? Number(text) : NaN
  if (!(value >= least)) throw new TypeError(`${flag} must be a whole number of at least ${least}, got ${JSON.stringify(text)}`)
  return value
}

/**
 * The command line, parsed into one {@link Command}. Each command accepts only its own options, so
 * a misplaced flag is an error rather than silently ignored.
 * @module
 */
import { parseArgs } from 'node:util'
import { CliError } from './cli-error.ts'
import { healthPortOf } from '../adapter/health-port.ts'
import { portNumber } from '../adapter/server.ts'

/** `edgepod dev <file>`: serve the worker. */
export interface DevCommand {
  name: 'dev'
  file: string
  port: number
  /** Undefined for the adapter's default, 127.0.0.1. */
  host: string | undefined
  /** Serve the playground page beside the API (`--no-playground` turns it off). */
  playground: boolean
  /** RunPod's `PORT_HEALTH`, when set apart from the port: `GET /ping` is served there too. */
  healthPort: number | undefined
}

/** `edgepod run <file>`: run one job. */
export interface RunCommand {
  name: 'run'
  file: string
  /** `--input`: JSON text, or `@path` of a JSON file. */
  input: string | undefined
  /** `--test_input`: the same, for the whole request body. */
  testInput: string | undefined
}

/** What the command line asks for. */
export type Command = { name: 'help' } | { name: 'version' } | DevCommand | RunCommand

/** RunPod's local test server port. */
const DEFAULT_PORT = 8000

const help = { type: 'boolean', short: 'h' } as const

const usageError = (message: string) => new CliError(message, { showUsage: true })

/**
 * Parses `argv` (without node and the script), with `env` for what RunPod sets there (`PORT`);
 * throws a usage {@link CliError} for a bad one.
 */
export function parseCommand(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): Command {
  const [name, ...args] = argv
  if (name === undefined) throw usageError('missing command')
  if (name === '--help' || name === '-h' || name === 'help') return { name: 'help' }
  if (name === '--version' || name === '-v' || name === 'version') return { name: 'version' }
  if (name === 'dev') {
    const playground = { type: 'boolean', default: true } as const
    const options = { port: { type: 'string' }, host: { type: 'string' }, playground, help } as const
    // allowNegative: `--no-playground`.
    const parse = () => parseArgs({ args, options, allowPositionals: true, allowNegative: true })
    const { values, positionals } = withUsageErrors(name, parse)
    if (values.help) return { name: 'help' }
    const port = values.port !== undefined ? portOf(values.port, '--port') : env['PORT'] !== undefined ? portOf(env['PORT'], 'PORT') : DEFAULT_PORT
    const healthPort = withUsageErrors(name, () => healthPortOf(env, port))
    return { name, file: fileOf(name, positionals), port, host: values.host, playground: values.playground, healthPort }
  }
  if (name === 'run') {
    const options = { input: { type: 'string' }, test_input: { type: 'string' }, help } as const
    const { values, positionals } = withUsageErrors(name, () => parseArgs({ args, options, allowPositionals: true }))
    if (values.help) return { name: 'help' }
    if (values.input !== undefined && values.test_input !== undefined) {
      throw usageError('give --input or --test_input, not both')
    }
    return { name, file: fileOf(name, positionals), input: values.input, testInput: values.test_input }
  }
  throw usageError(`unknown command ${JSON.stringify(name)}`)
}

/** Runs `parseArgs`, whose messages explain a missing or ambiguous value well, naming the command. */
function withUsageErrors<T>(command: string, parse: () => T): T {
  try {
    return parse()
  } catch (error) {
    // Its advice on an unknown option (put it after `--`) is for positionals, which take no dashes here.
    const message = (error as Error).message.replace(/\. To specify a positional argument[^]*$/, '')
    throw usageError(`${command}: ${message}`)
  }
}

function fileOf(command: string, positionals: string[]): string {
  const [file, ...extra] = positionals
  if (file === undefined || file === '') throw usageError(`${command} needs a worker file: edgepod ${command} <file>`)
  if (extra.length > 0) throw usageError(`${command}: unexpected argument ${JSON.stringify(extra[0])}`)
  return file
}

/** The port `text` names, given as `where` (`--port`, or RunPod's `PORT` variable). */
function portOf(text: string, where: string): number {
  try {
    return portNumber(text, where)
  } catch (error) {
    throw usageError((error as Error).message)
  }
}

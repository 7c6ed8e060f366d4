/**
 * The request body of `edgepod run`, from `--input`, `--test_input`, or `./test_input.json`, the
 * three places RunPod's local test mode takes it from.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { CliError } from './cli-error.ts'

/** Where the job comes from: the two flags as typed. */
export interface JobSource {
  /** The job's input as JSON text, or `@path` of a JSON file. */
  input: string | undefined
  /** The whole request body, `{"input": ...}`, the same way. */
  testInput: string | undefined
}

/** The file RunPod's SDK reads the request from when no flag gives one. */
const TEST_INPUT_FILE = 'test_input.json'

/**
 * The request body as JSON text. The JSON is checked here, so a typo is a usage error (2) before the
 * worker is loaded; the body's shape is left to the worker, which explains it in its 400 answer.
 */
export function jobBodyFrom(source: JobSource, cwd: string): string {
  if (source.input !== undefined) return JSON.stringify({ input: jsonArgument('--input', source.input, cwd) })
  if (source.testInput !== undefined) return JSON.stringify(jsonArgument('--test_input', source.testInput, cwd))
  const path = resolve(cwd, TEST_INPUT_FILE)
  if (!existsSync(path)) {
    throw new CliError(`run needs a job: --input '<json>', --test_input '<json>', or a ${TEST_INPUT_FILE} here`, {
      showUsage: true,
    })
  }
  return JSON.stringify(parseJson(readFileSync(path, 'utf8'), `./${TEST_INPUT_FILE}`))
}

/** A flag's JSON value: the text itself, or with `@path` the file's content. */
function jsonArgument(flag: string, value: string, cwd: string): unknown {
  if (!value.startsWith('@')) return parseJson(value, flag)
  const file = value.slice(1)
  let text: string
  try {
    text = readFileSync(resolve(cwd, file), 'utf8')
  } catch (error) {
    throw new CliError(`${flag} ${value}: cannot read ${file}: ${(error as Error).message}`)
  }
  return parseJson(text, `${flag} ${value}`)
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new CliError(`${what} is not valid JSON: ${(error as Error).message}`)
  }
}

/**
 * A worker file that fails to load, explained at the place in the user's code where it failed:
 * `file:line:column: message` and the line itself, without edgepod's, tsx's or esbuild's frames.
 * @module
 */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { isAbsolute, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

/** A place in a file: a 1-based line and column. */
export interface SourceLocation {
  file: string
  line: number
  column: number
}

/** edgepod's own code, whose frames say nothing about the user's mistake. */
const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url))
const OWN_DIRS = ['src', 'dist', 'bin'].map((dir) => `${PACKAGE_ROOT}${dir}${sep}`)

/** True for a file of the user's: not edgepod's, not a dependency's, not Node's. */
export function isUserFile(path: string): boolean {
  return isAbsolute(path) && !path.includes(`${sep}node_modules${sep}`) && !OWN_DIRS.some((dir) => path.startsWith(dir))
}

/**
 * The explanation of `error`, thrown while importing a worker that loaded `files`: located in the
 * user's code when it can be (a TypeScript syntax error as esbuild reports it, the innermost frame
 * of the user's in the stack, or a JavaScript syntax error found by `node --check`), else its message.
 */
export async function explainLoadError(error: unknown, files: Iterable<string>): Promise<string> {
  const headline = headlineOf(error)
  const transform = transformErrorOf(error)
  if (transform) return located(transform.location, transform.message)
  const frame = userFrameOf(error)
  if (frame) return located(frame, headline)
  if (error instanceof SyntaxError) {
    const found = await checkSyntax(files)
    if (found) return located(found.location, `SyntaxError: ${found.message}`)
  }
  return headline
}

function headlineOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  return `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}`
}

/** `file:line:column: message`, then the line with a caret under the column. */
export function located(location: SourceLocation, message: string): string {
  const shown = relative(process.cwd(), location.file)
  const name = shown.startsWith('..') ? location.file : shown
  const lines = [`${name}:${location.line}:${location.column}: ${message}`]
  const text = lineOf(location)
  if (text !== undefined) {
    const number = String(location.line)
    lines.push(`  ${number} | ${text}`, `  ${' '.repeat(number.length)} | ${' '.repeat(Math.max(0, location.column - 1))}^`)
  }
  return lines.join('\n')
}

function lineOf(location: SourceLocation): string | undefined {
  try {
    return readFileSync(location.file, 'utf8').split(/\r?\n/)[location.line - 1]?.replace(/\t/g, ' ')
  } catch {
    return undefined
  }
}

/** esbuild's "Transform failed with 1 error:\n<file>:<line>:<column>: ERROR: <text>", as tsx throws it. */
function transformErrorOf(error: unknown): { location: SourceLocation; message: string } | undefined {
  if (!(error instanceof Error) || !error.message.startsWith('Transform failed')) return undefined
  const match = /^(.+?):(\d+):(\d+): ERROR: (.+)$/m.exec(error.message)
  if (!match) return undefined
  const [, file, line, column, message] = match as unknown as [string, string, string, string, string]
  // esbuild's columns are 0-based.
  return { location: { file, line: Number(line), column: Number(column) + 1 }, message: `SyntaxError: ${message}` }
}

/** The innermost stack frame in a user file. */
function userFrameOf(error: unknown): SourceLocation | undefined {
  const stack = error instanceof Error ? (error.stack ?? '') : ''
  for (const match of stack.matchAll(/^\s+at (?:.*?\()?(.+?):(\d+):(\d+)\)?$/gm)) {
    const [, where, line, column] = match as unknown as [string, string, string, string]
    const file = where.startsWith('file://') ? fileURLToPath(where) : where
    if (isUserFile(file)) return { file, line: Number(line), column: Number(column) }
  }
  return undefined
}

/**
 * The first JavaScript file among `files` that Node cannot parse. Node's own SyntaxError for an ES
 * module names no file; `node --check` prints `<file>:<line>`, the line, a caret and the message.
 */
async function checkSyntax(files: Iterable<string>): Promise<{ location: SourceLocation; message: string } | undefined> {
  for (const file of files) {
    if (!/\.[cm]?js$/.test(file) || !isUserFile(file)) continue
    const output = await promisify(execFile)(process.execPath, ['--check', file]).then(
      () => undefined,
      (failure: { stderr?: string }) => failure.stderr ?? ''
    )
    if (output === undefined) continue
    const where = /^(.+):(\d+)\n(.*)\n(\s*)\^/m.exec(output)
    const message = /^SyntaxError: (.+)$/m.exec(output)?.[1]
    if (where && message) return { location: { file, line: Number(where[2]), column: (where[4]?.length ?? 0) + 1 }, message }
  }
  return undefined
}

/**
 * Imports a worker file and checks that its default export can serve requests.
 * @module
 */
import { statSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { FetchHandler } from '../adapter/node/index.ts'
import { CliError } from './cli-error.ts'

/**
 * The default export of `file` (relative to the working directory). A missing file, or one whose
 * default export has no `fetch` method, is a usage error; one that throws while loading is exit 1.
 */
export async function loadWorker(file: string): Promise<FetchHandler> {
  const path = resolve(file)
  if (!statSync(path, { throwIfNoEntry: false })?.isFile()) throw new CliError(`no such file: ${file}`)
  let module: { default?: unknown }
  try {
    module = (await import(pathToFileURL(path).href)) as { default?: unknown }
  } catch (error) {
    throw new CliError(`could not load ${file}:`, { exitCode: 1, cause: error })
  }
  const worker = module.default as Partial<FetchHandler> | null | undefined
  if (typeof worker?.fetch !== 'function') {
    throw new CliError(
      `${file} has no default export with a fetch method; end it with \`export default serverless.start({ handler })\``
    )
  }
  return worker as FetchHandler
}

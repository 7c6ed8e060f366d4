/**
 * Imports a worker file and checks that its default export can serve requests.
 * @module
 */
import { statSync } from 'node:fs'
import { extname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { FetchHandler } from '../adapter/node/index.ts'
import { CliError } from './cli-error.ts'
import { recordImports } from './imports.ts'
import { explainLoadError } from './load-error.ts'

const TYPESCRIPT = new Set(['.ts', '.mts', '.cts', '.tsx'])

/**
 * The default export of `file` (relative to the working directory). A missing file, or one whose
 * default export has no `fetch` method, is a usage error; one that fails to load is exit 1, with the
 * place in the user's code where it failed.
 */
export async function loadWorker(file: string): Promise<FetchHandler> {
  const path = resolve(file)
  if (!statSync(path, { throwIfNoEntry: false })?.isFile()) throw new CliError(`no such file: ${file}`)
  const imports = recordImports()
  let module: { default?: unknown }
  try {
    module = (await import(pathToFileURL(path).href)) as { default?: unknown }
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_UNKNOWN_FILE_EXTENSION' && TYPESCRIPT.has(extname(path))) {
      throw new CliError(
        `${file} is TypeScript, which this Node cannot load by itself: install tsx beside edgepod (npm install --save-dev tsx), or use Node 22.18 or later`,
        { exitCode: 1 }
      )
    }
    await imports.flush()
    const explained = await explainLoadError(error, [path, ...imports.files])
    throw new CliError(`could not load ${file}:\n${explained}`, { exitCode: 1, ...(process.env['EDGEPOD_DEBUG'] ? { cause: error } : {}) })
  }
  const worker = module.default as Partial<FetchHandler> | null | undefined
  if (typeof worker?.fetch !== 'function') {
    throw new CliError(
      `${file} has no default export with a fetch method; end it with \`export default serverless.start({ handler })\``
    )
  }
  return worker as FetchHandler
}

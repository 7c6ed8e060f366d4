/**
 * A worker file run by itself, as RunPod's `python handler.py` is: `tsx worker.ts --rp_serve_api`
 * serves it, `tsx worker.ts --test_input '{...}'` (or a `test_input.json` beside it) runs one job,
 * on Node, Bun and Deno. `serverless.start` calls this with every worker it makes; it acts only when
 * the process's entry module is the file whose default export is that worker, so never on Workers
 * and never when a server (`edgepod dev`, a test runner, the user's own) imports the file.
 *
 * This module is loaded with the core, so it touches runtime globals only behind checks, and loads
 * what acts (`run.ts`, Node's APIs) only once it must.
 * @module
 */
import type { FetchHandler } from '../server.ts'
import { hasRunPodFlag } from './flags.ts'
import { onWorkerd } from '../../runtime.ts'

/** The process's entry module, where a runtime names it. */
export interface MainModule {
  /** Its `file:` URL. */
  url: string
  /** The arguments after it. */
  args: readonly string[]
  runtime: 'node' | 'bun' | 'deno'
}

/** The file RunPod's SDK runs a job from when no flag gives one. */
export const TEST_INPUT_FILE = 'test_input.json'

/** Node's flags that run code given on the command line rather than a file. */
const EVAL_FLAGS = new Set(['-e', '--eval', '-p', '--print'])

interface RuntimeGlobals {
  Deno?: { mainModule?: string; args?: string[]; permissions?: { querySync?(descriptor: { name: 'read'; path: string }): { state: string } } }
  Bun?: { main?: string; isMainThread?: boolean }
  process?: {
    argv?: string[]
    execArgv?: string[]
    release?: { name?: string }
    getBuiltinModule?: (name: string) => unknown
  }
  WorkerGlobalScope?: unknown
}

/**
 * The entry module of this process, or undefined where there is none to speak of: on Workers, in
 * a web worker or worker thread (whose module graph is not the entry's), or an entry that is not a file.
 */
export function mainModule(): MainModule | undefined {
  const runtime = globalThis as RuntimeGlobals
  if (onWorkerd() || runtime.WorkerGlobalScope !== undefined) return undefined
  const { Deno: deno, Bun: bun, process } = runtime
  if (deno?.mainModule !== undefined) {
    return deno.mainModule.startsWith('file:') ? { url: deno.mainModule, args: deno.args ?? [], runtime: 'deno' } : undefined
  }
  const entry = process?.argv?.[1]
  if (bun !== undefined) {
    if (bun.isMainThread === false || bun.main === undefined) return undefined
    return { url: fileUrlOf(bun.main), args: process?.argv?.slice(2) ?? [], runtime: 'bun' }
  }
  if (process?.release?.name !== 'node' || entry === undefined) return undefined
  // With --eval, the first argument is no module at all, and importing it would run it.
  if (process.execArgv?.some((flag) => EVAL_FLAGS.has(flag.split('=')[0]!))) return undefined
  const threads = process.getBuiltinModule?.('node:worker_threads') as { isMainThread?: boolean } | undefined
  if (threads?.isMainThread !== true) return undefined
  return { url: fileUrlOf(entry), args: process.argv!.slice(2), runtime: 'node' }
}

/** A path's `file:` URL (the runtime's own URL maker is Node's, which this module does not load). */
function fileUrlOf(path: string): string {
  if (path.startsWith('file:')) return path
  return `file://${path.split('/').map(encodeURIComponent).join('/')}`
}

/**
 * True when `test_input.json` lies beside the module at `url`. Deno is asked first whether the
 * file may be read: looking without the permission would prompt on a terminal, and throw without one.
 */
function hasTestInputBeside(url: string): boolean {
  const { Deno: deno, process } = globalThis as RuntimeGlobals
  const file = new URL(TEST_INPUT_FILE, url)
  if (deno && deno.permissions?.querySync?.({ name: 'read', path: decodeURIComponent(file.pathname) }).state !== 'granted') return false
  const fs = process?.getBuiltinModule?.('node:fs') as { existsSync?: (path: URL) => boolean } | undefined
  try {
    return fs?.existsSync?.(file) === true
  } catch {
    return false
  }
}

/**
 * Serves `worker`, or runs one job through it, when the process was started on the file whose
 * default export it is (see the module's description). Returns at once; what it does happens once
 * that file has loaded.
 */
export function runIfMainModule(worker: FetchHandler): void {
  const main = mainModule()
  if (main === undefined) return
  const acts = hasRunPodFlag(main.args) || hasTestInputBeside(main.url)
  // Bun serves an entry's default export with a `fetch` on its own port by itself, but leaves one
  // with `stop` alone (a server already). A worker that serves or runs a test must not be served twice.
  if (acts && main.runtime === 'bun') Object.defineProperty(worker, 'stop', { value: () => {}, enumerable: false, configurable: true })
  // Only Node does nothing at all with a bare worker file: there, a word on what to do with it.
  if (!acts && main.runtime !== 'node') return
  void isDefaultExportOf(main.url, worker)
    .then(async (isMain) => {
      if (!isMain) return
      // Found at run time, beside this module: a bundle for Workers must not pull in Node's APIs.
      const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js'
      const run = (await import(/* @vite-ignore */ new URL(`./run${extension}`, import.meta.url).href)) as typeof import('./run.ts')
      await run.runMainModule(worker, main, acts)
    })
    .catch((error: unknown) => {
      // Deno loads a module found at run time only with --allow-read.
      if (String(error).includes('--allow-read')) console.error('edgepod: Deno runs a worker file by itself only with --allow-read (and --allow-net, --allow-env)')
      else console.error('edgepod: running the worker file by itself failed:', error)
      // What the flags asked for was not done: the exit says so.
      const process = (globalThis as { process?: { exitCode?: number } }).process
      if (acts && process) process.exitCode = 1
    })
}

/** The entry module's default export, imported once per process however many workers start. */
let entryDefault: Promise<unknown> | undefined

/**
 * True when the module at `url` (the entry) has `worker` as its default export. Importing the
 * entry module from inside it waits for it to finish loading, then gives the same module back.
 */
async function isDefaultExportOf(url: string, worker: FetchHandler): Promise<boolean> {
  entryDefault ??= import(/* @vite-ignore */ url).then(
    (module: { default?: unknown }) => module.default,
    () => undefined
  )
  const exported = await entryDefault
  // A CommonJS build of the file (tsx's, for a package without "type": "module") nests it once more.
  return exported === worker || (exported as { default?: unknown } | undefined)?.default === worker
}

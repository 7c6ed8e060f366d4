import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Launcher, RuntimeServer } from './runtime.ts'
import { root, spawnGroup } from './spawn-server.ts'

/** Options of {@link launchWorkerd}. */
export interface WorkerdOptions {
  /** `compatibility_date` of the generated config. @default '2026-04-01' */
  compatibilityDate?: string
  /** `compatibility_flags`. @default [] (edgepod needs none) */
  compatibilityFlags?: string[]
  /** How long wrangler may take to print its URL, ms. @default 60_000 */
  startTimeout?: number
  /** Copy wrangler's and workerd's output to this process's stderr, to debug a test. @default false */
  log?: boolean
  /** Lines added to the generated wrangler.toml (bindings, migrations). */
  extraConfig?: string[]
  /** Where Durable Object storage lives; kept after stop(), so a relaunch finds it. @default a temporary one */
  stateDir?: string
  /**
   * Bundle this repository's sources for `edgepod` (the package's `edgepod-source` condition); false
   * leaves wrangler to resolve it from the worker's own node_modules, as a user's project does.
   * @default true
   */
  sourceAliases?: boolean
}

/** The lines that bind edgepod's Durable Object store as `EDGEPOD_JOBS`, with its migration. */
export const durableObjectConfig = [
  '[[durable_objects.bindings]]',
  'name = "EDGEPOD_JOBS"',
  'class_name = "EdgepodJobs"',
  '',
  '[[migrations]]',
  'tag = "v1"',
  'new_sqlite_classes = ["EdgepodJobs"]',
]

// Wrangler must never prompt, log in, phone home or wait on the network (which is off in CI).
const quietEnv = {
  CI: 'true',
  NO_COLOR: '1',
  FORCE_COLOR: '0',
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
  // The banner is what runs the npm update check.
  WRANGLER_HIDE_BANNER: 'true',
  // Otherwise Miniflare fetches the `request.cf` object from workers.cloudflare.com on every start.
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
}

/**
 * `[alias]` lines that make wrangler bundle edgepod's sources for `edgepod` and each `edgepod/*`
 * (the package's `edgepod-source` export condition, which wrangler has no option to turn on).
 */
async function sourceAliases(): Promise<string[]> {
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> }
  const lines = ['[alias]']
  for (const [subpath, entry] of Object.entries(pkg.exports)) {
    const source = (entry as { 'edgepod-source'?: string })['edgepod-source']
    if (source) lines.push(`${JSON.stringify(`edgepod${subpath.slice(1)}`)} = ${JSON.stringify(resolve(root, source))}`)
  }
  return lines
}

/**
 * Serves `workerFile` with `wrangler dev` (Miniflare driving workerd) on a free port, from a config
 * generated into a temporary directory, so that wrangler's `.wrangler/` state and bundles, and its
 * logs, stay out of the repository. Wrangler bundles edgepod's sources, through {@link sourceAliases}.
 */
export async function launchWorkerd(workerFile: string, options: WorkerdOptions = {}): Promise<RuntimeServer> {
  const dir = await mkdtemp(join(tmpdir(), 'edgepod-workerd-'))
  const config = join(dir, 'wrangler.toml')
  await writeFile(
    config,
    [
      'name = "edgepod-conformance"',
      `main = ${JSON.stringify(resolve(root, workerFile))}`,
      `compatibility_date = ${JSON.stringify(options.compatibilityDate ?? '2026-04-01')}`,
      `compatibility_flags = ${JSON.stringify(options.compatibilityFlags ?? [])}`,
      '',
      ...(options.extraConfig ?? []),
      '',
      ...(options.sourceAliases === false ? [] : await sourceAliases()),
      '',
    ].join('\n')
  )
  const args = [
    'dev',
    ...['--config', config],
    ...['--ip', '127.0.0.1', '--port', '0'],
    // Port 0 everywhere: several wranglers in parallel must not fight over 9229.
    ...['--inspector-port', '0'],
    ...['--persist-to', options.stateDir ?? join(dir, 'state')],
    '--show-interactive-dev-session=false',
  ]
  // Its own process group: wrangler runs workerd (twice) and esbuild as children.
  const group = spawnGroup(join(root, 'node_modules/.bin/wrangler'), args, {
    cwd: dir,
    env: { ...process.env, ...quietEnv, WRANGLER_LOG_PATH: join(dir, 'logs'), WRANGLER_REGISTRY_PATH: join(dir, 'registry') },
  })
  const { child } = group
  const stop = async () => {
    await group.stop()
    await rm(dir, { recursive: true, force: true })
  }

  let output = ''
  return new Promise<RuntimeServer>((ready, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer)
      void stop().finally(() => reject(new Error(`wrangler ${args.join(' ')}: ${why}\n${output}`)))
    }
    const timer = setTimeout(() => fail('did not print its URL in time'), options.startTimeout ?? 60_000)
    const onEarlyExit = (code: number | null) => fail(`exited with ${code} before it was ready`)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /Ready on (http:\/\/\S+)/.exec(output)
      if (!match?.[1]) return
      clearTimeout(timer)
      child.off('exit', onEarlyExit)
      child.stdout.off('data', onData)
      child.stderr.off('data', onData)
      // Keep draining the pipes so a chatty runtime never blocks on a full one.
      if (options.log) {
        process.stderr.write(output)
        child.stdout.pipe(process.stderr, { end: false })
        child.stderr.pipe(process.stderr, { end: false })
      }
      child.stdout.resume()
      child.stderr.resume()
      ready({ url: new URL(match[1]).origin, stop })
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.once('exit', onEarlyExit)
  })
}

/** workerd, through `wrangler dev` with the default config: no compatibility flags. */
export const workerd: Launcher = (workerFile) => launchWorkerd(workerFile)

/**
 * workerd with edgepod's Durable Object store: the worker file's `-do` twin (which selects the
 * store and exports the class) with the binding and migration.
 */
export const workerdDurableObject: Launcher = (workerFile) =>
  launchWorkerd(workerFile.replace(/\.ts$/, '-do.ts'), { extraConfig: durableObjectConfig, log: process.env['EDGEPOD_WORKERD_LOG'] === '1' })

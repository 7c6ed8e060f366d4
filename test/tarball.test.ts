/**
 * The tarball `npm pack` makes is the product: packed from a copy of this working tree (as a clean
 * checkout would, with no dist/ of its own), it is installed into fresh consumer projects and used
 * as they would: plain Node with no TypeScript loader, TypeScript compiled three ways against the
 * shipped declarations, Bun, Deno, and a Worker under `wrangler dev` (the README's Durable Object
 * snippet, unwrapped) and `wrangler deploy --dry-run`. Installs from a git URL and from a folder
 * build what they need. Everything comes from the npm cache or the registry, as for a user.
 */
import { execFile } from 'node:child_process'
import { cp, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { docBlocksOf } from './helpers/doc-blocks.ts'
import { launchWorkerd } from './conformance/runtimes/workerd.ts'
import { root, spawnServer } from './conformance/runtimes/spawn-server.ts'
import type { RuntimeServer } from './conformance/runtimes/runtime.ts'

const run = promisify(execFile)
const bin = (name: string) => join(root, 'node_modules/.bin', name)
const tsc = join(root, 'node_modules/typescript/bin/tsc')
const fixtures = join(root, 'test/fixtures/consumer')
/** npm, quiet, from its cache first (CI's `npm ci` filled it), never asking. */
const npmInstall = (cwd: string, ...specs: string[]) =>
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...specs], { cwd, env: quietNpm })
const quietNpm = { ...process.env, npm_config_update_notifier: 'false', npm_config_yes: 'true' }

let work = ''
/** A copy of this working tree (tracked and new files), a git repository of its own. */
let source = ''
let tarball = ''
/** The consumer project the tarball is installed into. */
let consumer = ''
const servers: RuntimeServer[] = []

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'edgepod-tarball-'))
  source = join(work, 'edgepod')
  const { stdout } = await run('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: root })
  const files = stdout.split('\0').filter((file) => file !== '' && !file.startsWith('.docs-test-'))
  for (const file of files) await cp(join(root, file), join(source, file), { recursive: true }).catch(ignoreDeleted)
  await run('git', ['init', '-q'], { cwd: source })
  await run('git', ['add', '-A'], { cwd: source })
  await run('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'working tree'], { cwd: source })
  // The build runs with this repository's dependencies, as a checkout after `npm install` would.
  await symlink(join(root, 'node_modules'), join(source, 'node_modules'), 'dir')
  const packed = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: source, env: quietNpm })
  tarball = join(work, (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]!.filename)

  consumer = join(work, 'consumer')
  await mkdir(consumer)
  await writeFile(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
  for (const name of await readdir(fixtures)) await cp(join(fixtures, name), join(consumer, name))
  await npmInstall(consumer, tarball, '@types/node@20')
}, 180_000)
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()))
})
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true })
})

function ignoreDeleted(error: NodeJS.ErrnoException) {
  // A tracked file deleted in the working tree is not part of it.
  if (error.code !== 'ENOENT') throw error
}

async function runSync(url: string, input: unknown): Promise<{ status: string; output?: unknown }> {
  const response = await fetch(`${url}/runsync`, { method: 'POST', body: JSON.stringify({ input }) })
  return (await response.json()) as { status: string; output?: unknown }
}

/** The `edgepod` command as installed in the consumer, on plain Node. */
const edgepod = (...args: string[]) => [process.execPath, [join(consumer, 'node_modules/.bin/edgepod'), ...args]] as const

describe('the tarball', () => {
  it('holds the built package, its LICENSE and README, and no sources or tests', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball])
    const files = stdout.split('\n').filter(Boolean).map((file) => file.replace(/^package\//, ''))
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'bin/edgepod.js', 'dist/index.js', 'dist/index.d.ts']))
    expect(files.filter((file) => /\.test(-d)?\.|^src\/|^test\/|fixtures/.test(file))).toEqual([])
    // Every entry point of the exports map is in it, code and types.
    const pkg = JSON.parse(await readFile(join(consumer, 'node_modules/edgepod/package.json'), 'utf8')) as {
      exports: Record<string, { types?: string; default?: string } | string>
    }
    for (const entry of Object.values(pkg.exports)) {
      if (typeof entry === 'string') continue
      expect(files).toEqual(expect.arrayContaining([entry.types!.slice(2), entry.default!.slice(2)]))
    }
  })

  it('installs only the runtime dependencies: no TypeScript loader for a library user', async () => {
    const pkg = JSON.parse(await readFile(join(consumer, 'node_modules/edgepod/package.json'), 'utf8')) as { dependencies: object }
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['@hono/node-server', '@standard-schema/spec', 'aws4fetch', 'eventsource-parser', 'hono'])
    for (const loader of ['tsx', 'esbuild', 'typescript']) expect(existsSync(join(consumer, 'node_modules', loader)), loader).toBe(false)
  })
})

describe('plain Node, no tsx', () => {
  it('serves a JavaScript worker with edgepod/node and with edgepod dev, and runs a job with edgepod run', async () => {
    const entry = await spawnServer(process.execPath, ['node-server.js'], { cwd: consumer, env: { PORT: '0' }, ready: /serving at (http:\/\/\S+)/ })
    servers.push(entry)
    expect(await runSync(entry.url, { times: 2 })).toMatchObject({ status: 'COMPLETED', output: ['plain 0', 'plain 1'] })

    const [node, args] = edgepod('dev', 'plain-worker.js', '--port', '0')
    const dev = await spawnServer(node, [...args], { cwd: consumer, ready: /serving plain-worker\.js at (http:\/\/\S+)/ })
    servers.push(dev)
    expect(await runSync(dev.url, { times: 1 })).toMatchObject({ status: 'COMPLETED', output: ['plain 0'] })

    const [, runArgs] = edgepod('run', 'plain-worker.js', '--input', '{"times":2}')
    const { stdout } = await run(node, [...runArgs], { cwd: consumer })
    expect(stdout.split('\n').slice(0, 2)).toEqual(['"plain 0"', '"plain 1"'])
    // The file run by itself, as `python handler.py --test_input` runs: the built package finds its runner.
    const itself = await run(process.execPath, ['plain-worker.js', '--test_input', '{"input":{"times":2}}'], { cwd: consumer })
    expect(itself.stdout.split('\n').slice(0, 2)).toEqual(['"plain 0"', '"plain 1"'])
    expect(JSON.parse(itself.stdout.trim().split('\n').at(-1)!)).toMatchObject({ status: 'COMPLETED' })
    const [, versionArgs] = edgepod('--version')
    expect((await run(node, [...versionArgs], { cwd: consumer })).stdout).toMatch(/^edgepod \d+\.\d+\.\d+\n$/)
  })

  it('says what to install for a TypeScript worker, and loads it once tsx is there', async () => {
    const [node, args] = edgepod('run', 'worker.ts', '--input', '{"prompt":"ts"}')
    const failed = await run(node, [...args], { cwd: consumer }).then(
      () => undefined,
      (failure: { code: number; stderr: string }) => failure
    )
    expect(failed?.code).toBe(1)
    expect(failed?.stderr).toContain('worker.ts is TypeScript, which this Node cannot load by itself: install tsx beside edgepod')

    const withTsx = join(work, 'with-tsx')
    await mkdir(withTsx)
    await writeFile(join(withTsx, 'package.json'), JSON.stringify({ name: 'with-tsx', private: true, type: 'module' }))
    await cp(join(fixtures, 'worker.ts'), join(withTsx, 'worker.ts'))
    await npmInstall(withTsx, tarball, 'tsx@4')
    const { stdout } = await run(process.execPath, [join(withTsx, 'node_modules/.bin/edgepod'), 'run', 'worker.ts', '--input', '{"prompt":"ts"}'], {
      cwd: withTsx,
    })
    expect(stdout.split('\n').slice(0, 2)).toEqual(['"ts 0"', '"ts 1"'])
  }, 120_000)
})

describe('TypeScript consumers, against the shipped declarations', () => {
  const strict = { strict: true, skipLibCheck: false, types: ['node'], lib: ['ES2023', 'DOM', 'DOM.Iterable', 'DOM.AsyncIterable'] }
  const configs: Array<[string, Record<string, unknown>]> = [
    ['module NodeNext, strict, emitting', { ...strict, module: 'NodeNext', outDir: 'out' }],
    ['moduleResolution Bundler', { ...strict, module: 'ESNext', moduleResolution: 'Bundler', target: 'ES2022', noEmit: true }],
    ['exactOptionalPropertyTypes', { ...strict, module: 'NodeNext', exactOptionalPropertyTypes: true, noEmit: true }],
  ]

  it.each(configs)('type-checks with %s', async (name, compilerOptions) => {
    const file = `tsconfig.${name.replace(/\W+/g, '-')}.json`
    await writeFile(join(consumer, file), JSON.stringify({ compilerOptions, files: ['worker.ts', 'client.ts'] }))
    await run(process.execPath, [tsc, '-p', file], { cwd: consumer }).catch((failure: { stdout: string }) => {
      throw new Error(`tsc -p ${file}:\n${failure.stdout}`)
    })
  }, 60_000)

  it('runs what NodeNext emitted: the client against the worker', async () => {
    await writeFile(join(consumer, 'tsconfig.emit.json'), JSON.stringify({ compilerOptions: configs[0]![1], files: ['worker.ts', 'client.ts'] }))
    await run(process.execPath, [tsc, '-p', 'tsconfig.emit.json'], { cwd: consumer })
    await writeFile(join(consumer, 'out/serve.js'), "import { serve } from 'edgepod/node'\nimport worker from './worker.js'\nconst server = await serve(worker, { port: 0 })\nconsole.log(`serving at ${server.url}`)\n")
    const server = await spawnServer(process.execPath, ['out/serve.js'], { cwd: consumer, ready: /serving at (http:\/\/\S+)/ })
    servers.push(server)
    const { stdout } = await run(process.execPath, ['out/client.js', server.url], { cwd: consumer })
    expect(JSON.parse(stdout)).toEqual({ result: ['hi 0', 'hi 1', 'hi 2'], outputs: ['yo 0', 'yo 1'], typed: 1, missing: 'job_not_found' })
  }, 60_000)
})

describe('Bun and Deno', () => {
  it('Bun, installed with bun add, serves the TypeScript worker with edgepod/bun', async () => {
    const dir = join(work, 'bun-project')
    await mkdir(dir)
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'bun-project', private: true, type: 'module' }))
    for (const file of ['worker.ts', 'bun-server.ts']) await cp(join(fixtures, file), join(dir, file))
    await run(bin('bun'), ['add', tarball], { cwd: dir })
    const server = await spawnServer(bin('bun'), ['run', 'bun-server.ts'], { cwd: dir, env: { PORT: '0' }, ready: /serving at (http:\/\/\S+)/ })
    servers.push(server)
    expect(await runSync(server.url, { prompt: 'bun' })).toMatchObject({ status: 'COMPLETED', output: ['bun 0', 'bun 1'] })
  }, 60_000)

  it("Deno serves the worker's default export with deno serve, from node_modules", async () => {
    const server = await spawnServer(bin('deno'), ['serve', '--allow-env', '--allow-net', '--port', '0', 'worker.ts'], {
      cwd: consumer,
      ready: /Listening on (http:\/\/\S+)/,
    })
    servers.push(server)
    expect(await runSync(server.url, { prompt: 'deno' })).toMatchObject({ status: 'COMPLETED', output: ['deno 0', 'deno 1'] })
  }, 60_000)
})

describe('Cloudflare Workers', () => {
  /** The README's Durable Object worker and its wrangler.toml lines, as printed. */
  async function readmeDurableObject() {
    const blocks = docBlocksOf('README.md', await readFile(join(root, 'README.md'), 'utf8'))
    const worker = blocks.find((block) => block.code.includes("durableObject: 'EDGEPOD_JOBS'"))!
    const config = blocks.find((block) => block.lang === 'toml' && block.code.includes('EdgepodJobs'))!
    await writeFile(join(consumer, 'worker-do.ts'), worker.code)
    await writeFile(join(consumer, 'handler.ts'), "export const handler = async function* () {\n  yield 'from the object'\n}\n")
    return config.code.split('\n')
  }

  it("the README's Durable Object snippet, unwrapped, under wrangler dev", async () => {
    const config = await readmeDurableObject()
    // launchWorkerd aliases `edgepod` to this repository's sources; here the consumer's own install must serve.
    const server = await launchWorkerd(join(consumer, 'worker-do.ts'), { extraConfig: config, sourceAliases: false })
    servers.push(server)
    expect(await runSync(server.url, {})).toMatchObject({ status: 'COMPLETED', output: [] })
    const health = (await (await fetch(`${server.url}/health`)).json()) as { jobs: { completed: number } }
    expect(health.jobs.completed).toBe(1)
  }, 90_000)

  it('wrangler deploy --dry-run bundles the in-memory worker and the Durable Object one', async () => {
    const config = await readmeDurableObject()
    const toml = (main: string, extra: string[] = []) =>
      [`name = "consumer"`, `main = "${main}"`, 'compatibility_date = "2026-04-01"', '', ...extra, ''].join('\n')
    await writeFile(join(consumer, 'wrangler.memory.toml'), toml('worker.ts'))
    await writeFile(join(consumer, 'wrangler.do.toml'), toml('worker-do.ts', config))
    const env = { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true', WRANGLER_LOG_PATH: join(work, 'wrangler-logs') }
    for (const file of ['wrangler.memory.toml', 'wrangler.do.toml']) {
      const { stdout } = await run(bin('wrangler'), ['deploy', '--dry-run', '--config', file, '--outdir', join(work, `out-${file}`)], { cwd: consumer, env })
      expect(stdout).toContain('--dry-run: exiting now.')
    }
  }, 90_000)
})

describe('installs that build the package', () => {
  const project = async (name: string) => {
    const dir = join(work, name)
    await mkdir(dir)
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }))
    return dir
  }
  const clientWorks = async (dir: string) => {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', "console.log(typeof (await import('edgepod/client')).createClient)"], { cwd: dir })
    expect(stdout).toBe('function\n')
  }

  it('from a git URL: npm installs its devDependencies in a clone and builds dist/ there', async () => {
    const dir = await project('from-git')
    await npmInstall(dir, `git+file://${source}`)
    await clientWorks(dir)
  }, 180_000)

  it('from a folder whose dependencies are installed: npm links it and builds dist/ in it', async () => {
    await rm(join(source, 'dist'), { recursive: true, force: true })
    const dir = await project('from-folder')
    await npmInstall(dir, source)
    await clientWorks(dir)
  }, 120_000)
})

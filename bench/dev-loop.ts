/**
 * The dev loop, measured: how long `edgepod dev` takes to serve a TypeScript worker, how long a
 * saved change takes to be served (the worker reloaded in a new process), and what the supervisor
 * that holds the port costs a request, against `serve()` in a process of its own.
 *
 *   node --import tsx bench/dev-loop.ts [--rounds 5] [--requests 300]
 *
 * The worker is a two-file project outside the repository that imports this checkout's edgepod.
 */
import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { root, spawnServer } from '../test/conformance/runtimes/spawn-server.ts'

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, requests: { type: 'string', default: '300' } } })
const rounds = Number(values.rounds)
const requests = Number(values.requests)

const median = (samples: number[]) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!
const ms = (value: number) => `${value.toFixed(value < 10 ? 2 : 0)} ms`

/** One `GET /health`, on a new connection or on the pooled one. */
const ask = (url: string, keepAlive: boolean) =>
  new Promise<void>((resolve, reject) => {
    const sent = request(`${url}/health`, keepAlive ? {} : { agent: false }, (response) => {
      response.resume()
      response.on('end', resolve)
    })
    sent.on('error', reject)
    sent.end()
  })

/** The median time of `requests` sequential requests. */
async function requestTime(url: string, keepAlive: boolean): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < requests; i++) {
    const started = performance.now()
    await ask(url, keepAlive)
    times.push(performance.now() - started)
  }
  return median(times)
}

const project = await mkdtemp(join(tmpdir(), 'edgepod-dev-loop-'))
await mkdir(join(project, 'node_modules'))
await symlink(root, join(project, 'node_modules/edgepod'), 'dir')
await writeFile(join(project, 'package.json'), '{"type":"module"}')
await writeFile(join(project, 'handler.ts'), 'export const handler = () => "v0"\n')
await writeFile(join(project, 'worker.ts'), "import { serverless } from 'edgepod'\nimport { handler } from './handler.ts'\nexport default serverless.start({ handler })\n")

const starts: number[] = []
const reloads: number[] = []
const supervised = { fresh: 0, kept: 0 }
try {
  for (let round = 0; round < rounds; round++) {
    const started = performance.now()
    const cli = spawn(process.execPath, [join(root, 'bin/edgepod.js'), 'dev', 'worker.ts', '--port', '0', '--no-playground'], {
      cwd: project,
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let printed = ''
    const waitFor = (pattern: RegExp, count: number) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if ((printed.match(pattern) ?? []).length < count) return
          cli.stdout.off('data', check)
          resolve()
        }
        cli.stdout.on('data', check)
        check()
      })
    cli.stdout.setEncoding('utf8').on('data', (chunk: string) => (printed += chunk))
    await waitFor(/serving worker\.ts/g, 1)
    starts.push(performance.now() - started)
    for (let change = 1; change <= 3; change++) {
      const saved = performance.now()
      await writeFile(join(project, 'handler.ts'), `export const handler = () => "v${change}"\n`)
      await waitFor(/reloaded worker\.ts/g, change)
      reloads.push(performance.now() - saved)
    }
    if (round === rounds - 1) {
      const url = /(http:\/\/\S+)/.exec(printed)![1]!
      supervised.fresh = await requestTime(url, false)
      supervised.kept = await requestTime(url, true)
    }
    const exited = new Promise((resolve) => cli.once('exit', resolve))
    cli.kill('SIGINT')
    await exited
  }
  // The same worker served by serve() in a process of its own, as the supervisor's worker process is.
  const entry = "import { serve } from 'edgepod/node'\nimport worker from './worker.ts'\nconst server = await serve(worker, { port: 0 })\nconsole.log(`serving at ${server.url}`)\n"
  await writeFile(join(project, 'serve.ts'), entry)
  const server = await spawnServer(process.execPath, ['--import', import.meta.resolve('tsx'), '--conditions=edgepod-source', 'serve.ts'], {
    cwd: project,
    ready: /serving at (http:\/\/\S+)/,
  })
  const direct = { fresh: await requestTime(server.url, false), kept: await requestTime(server.url, true) }
  await server.stop()

  console.log(`edgepod dev, start to "serving":          median ${ms(median(starts))} of ${starts.length}`)
  console.log(`a saved change to "reloaded" (and served): median ${ms(median(reloads))} of ${reloads.length}, of which 50 ms settling`)
  console.log(`GET /health, new connection:  edgepod dev ${ms(supervised.fresh)}, serve() ${ms(direct.fresh)} (median of ${requests})`)
  console.log(`GET /health, kept-alive:      edgepod dev ${ms(supervised.kept)}, serve() ${ms(direct.kept)} (median of ${requests})`)
} finally {
  await rm(project, { recursive: true, force: true })
}

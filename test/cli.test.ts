// The `edgepod` command line, run as users run it: `node bin/edgepod.js ...` in a child process.
import { spawn } from 'node:child_process'
import { request as httpRequest } from 'node:http'
import type { ChildProcessByStdio } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import type { TestContext } from 'vitest'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))
const bin = join(root, 'bin/edgepod.js')
const tokens = join(root, 'examples/tokens.ts')

type Child = ChildProcessByStdio<null, Readable, Readable>

// Children by the test that started them: the tests run concurrently, and each kills only its own.
const running = new Map<string, Set<Child>>()

afterEach(({ task }) => {
  for (const child of running.get(task.id) ?? []) child.kill('SIGKILL')
  running.delete(task.id)
})

let dir = ''
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgepod-cli-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** What a finished run printed, and how it exited. */
interface Result {
  code: number | null
  stdout: string
  stderr: string
  /** stdout split into lines, without the empty last one. */
  lines: string[]
}

/** Starts `edgepod <args>` for `test`, which kills it when it ends if it is still running. */
function edgepod(test: TestContext, args: string[], cwd = root, env: Record<string, string> = {}) {
  const child: Child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  const children = running.get(test.task.id) ?? new Set()
  running.set(test.task.id, children.add(child))
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  // 'close' comes after both pipes have ended, so the result holds everything printed.
  const result = new Promise<Result>((resolve) =>
    child.on('close', (code) => {
      children.delete(child)
      resolve({ code, stdout, stderr, lines: stdout.split('\n').slice(0, -1) })
    })
  )

  /** Resolves once stdout (or stderr) matches `pattern`; fails if the process exits first. */
  const printed = (pattern: RegExp, from: 'stdout' | 'stderr' = 'stdout') =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const stream = from === 'stdout' ? child.stdout : child.stderr
      const text = () => (from === 'stdout' ? stdout : stderr)
      const check = () => {
        const found = text().match(pattern)
        if (!found) return false
        stream.off('data', check)
        resolve(found)
        return true
      }
      if (check()) return
      stream.on('data', check)
      void result.then(({ code }) => {
        if (!check()) reject(new Error(`edgepod exited (${code}) without printing ${pattern}:\n${stdout}\n${stderr}`))
      })
    })

  return { child, result, printed }
}

const statusOf = (line: string | undefined) => JSON.parse(line ?? 'null') as { status: string; output?: unknown; error?: string }

describe.concurrent('edgepod dev', () => {
  it('listens on $PORT without --port, as RunPod starts workers, and refuses a bad one naming it', async (test) => {
    const cli = edgepod(test, ['dev', 'examples/tokens.ts'], root, { PORT: '0' })
    const [, url] = await cli.printed(/^edgepod: serving examples\/tokens\.ts at (http:\/\/127\.0\.0\.1:\d+)$/m)
    expect(url).not.toMatch(/:8000$/)
    expect((await fetch(`${url}/ping`)).status).toBe(200)
    cli.child.kill('SIGINT')
    expect((await cli.result).code).toBe(0)
    const bad = await edgepod(test, ['dev', 'examples/tokens.ts'], root, { PORT: 'eighty' }).result
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('PORT must be a number from 0 to 65535, got "eighty"')])
  })

  it('serves GET /ping alone on PORT_HEALTH, as RunPod load balancers poll it, and refuses a bad one', async (test) => {
    const cli = edgepod(test, ['dev', 'examples/tokens.ts', '--port', '0'], root, { PORT_HEALTH: '0' })
    const [, port] = await cli.printed(/^edgepod: GET \/ping also at port (\d+) \(PORT_HEALTH\)$/m)
    await cli.printed(/^edgepod: serving examples\/tokens\.ts at /m)
    const ping = await fetch(`http://127.0.0.1:${port}/ping`)
    expect([ping.status, await ping.json()]).toEqual([200, { status: 'healthy' }])
    const other = await fetch(`http://127.0.0.1:${port}/health`)
    expect([other.status, (await other.json()).code]).toEqual([404, 'not_found'])
    cli.child.kill('SIGINT')
    expect((await cli.result).code).toBe(0)
    const bad = await edgepod(test, ['dev', 'examples/tokens.ts'], root, { PORT_HEALTH: '99999' }).result
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('PORT_HEALTH must be a number from 0 to 65535, got "99999"')])
  })

  it('starts a fresh worker process after a job asks for refresh_worker, and serves on', async (test) => {
    const cli = edgepod(test, ['dev', 'test/fixtures/self-run.ts', '--port', '0'])
    const [, url] = await cli.printed(/^edgepod: serving test\/fixtures\/self-run\.ts at (http:\/\/127\.0\.0\.1:\d+)$/m)
    const runsync = (input: unknown) => fetch(`${url}/runsync`, { method: 'POST', body: JSON.stringify({ input }) }).then((r) => r.json())
    const before = await runsync({ prompt: 'one', refresh: true })
    expect(before).toMatchObject({ status: 'COMPLETED', output: { echo: 'one' } })
    await cli.printed(/the worker process exited \(0\); starting it again/, 'stderr')
    // The next version answers; its jobs are its own, under a new workerId.
    await test.expect.poll(async () => (await fetch(`${url}/ping`)).status, { timeout: 20_000 }).toBe(200)
    const after = await runsync({ prompt: 'two' })
    expect(after).toMatchObject({ status: 'COMPLETED', output: { echo: 'two' } })
    expect(after.workerId).not.toBe(before.workerId)
    cli.child.kill('SIGINT')
    expect((await cli.result).code).toBe(0)
  })

  it('serves the file on the port it prints, and stops cleanly on SIGINT', async (test) => {
    const cli = edgepod(test, ['dev', 'examples/tokens.ts', '--port', '0'])
    const [, url] = await cli.printed(/^edgepod: serving examples\/tokens\.ts at (http:\/\/127\.0\.0\.1:\d+)$/m)
    expect(url).not.toMatch(/:0$/)

    const response = await fetch(`${url}/runsync`, { method: 'POST', body: '{"input":{"count":2,"delay":1}}' })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({
      status: 'COMPLETED',
      output: ['Generated async token output 0', 'Generated async token output 1'],
    })

    cli.child.kill('SIGINT')
    expect((await cli.result).code).toBe(0)
  })
})

/** A project of its own, outside the repository, where `edgepod` is this package (linked). */
async function linkedProject(): Promise<string> {
  const project = await mkdtemp(join(tmpdir(), 'edgepod-project-'))
  await mkdir(join(project, 'node_modules'))
  await symlink(root, join(project, 'node_modules/edgepod'), 'dir')
  await writeFile(join(project, 'package.json'), '{"type":"module"}')
  return project
}

describe('edgepod dev reloads', () => {
  let project = ''
  beforeAll(async () => {
    project = await linkedProject()
  })
  afterAll(async () => {
    await rm(project, { recursive: true, force: true })
  })

  const worker = (imports: string[]) =>
    [
      "import { serverless } from 'edgepod'",
      "import { handler } from './handler.ts'",
      ...imports.map((file) => `import './${file}'`),
      'export default serverless.start({ handler })',
    ].join('\n')
  const handler = (answer: string) => `export const handler = () => ${JSON.stringify(answer)}\n`
  /**
   * The output of a job, asked on a new connection: a pooled one may still be the old version's,
   * closed by it (once it has answered, or when idle) but not yet seen closed by the client.
   */
  const ask = (url: string) =>
    new Promise<unknown>((resolve, reject) => {
      const request = httpRequest(`${url}/runsync`, { method: 'POST', agent: false }, (response) => {
        let body = ''
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk))
        response.on('end', () => resolve((JSON.parse(body) as { output?: unknown }).output))
      })
      request.on('error', reject)
      request.end('{"input":{}}')
    })
  /** A pattern for the `n`th line of stdout that matches `line`. */
  const nth = (n: number, line: string) => new RegExp(`(?:^${line}$[^]*?){${n}}`, 'm')

  it('on a change to the worker or what it imports, on the same port; a broken version leaves the last one serving', async (test) => {
    await writeFile(join(project, 'worker.ts'), worker([]))
    await writeFile(join(project, 'handler.ts'), handler('first'))
    const cli = edgepod(test, ['dev', 'worker.ts', '--port', '0', '--no-playground'], project)
    const [, url] = await cli.printed(/^edgepod: serving worker\.ts at (http:\/\/\S+)$/m)
    expect(await ask(url!)).toBe('first')

    // An imported file changes: the new version answers at the same URL.
    await writeFile(join(project, 'handler.ts'), handler('second'))
    await cli.printed(nth(1, 'edgepod: reloaded worker\\.ts'))
    expect(cli.child.exitCode).toBe(null)
    expect(await ask(url!)).toBe('second')

    // A syntax error: the terminal shows where, and the last good version goes on answering.
    await writeFile(join(project, 'handler.ts'), 'export const handler = () => {\n  return "third" "fourth"\n}\n')
    const [explained] = await cli.printed(/^handler\.ts:2:18: SyntaxError: .*\n.*\n.*\^$/m, 'stderr')
    expect(explained).toContain('  2 |   return "third" "fourth"')
    await cli.printed(/still serving the last version that loaded/, 'stderr')
    expect(await ask(url!)).toBe('second')

    // Fixed, with a new import: that file is watched from then on.
    await writeFile(join(project, 'extra.ts'), 'export {}\n')
    await writeFile(join(project, 'worker.ts'), worker(['extra.ts']))
    await writeFile(join(project, 'handler.ts'), handler('third'))
    await cli.printed(nth(2, 'edgepod: reloaded worker\\.ts'))
    expect(await ask(url!)).toBe('third')
    await writeFile(join(project, 'extra.ts'), 'export const changed = true\n')
    await cli.printed(nth(3, 'edgepod: reloaded worker\\.ts'))
    expect(await ask(url!)).toBe('third')

    cli.child.kill('SIGINT')
    expect((await cli.result).code).toBe(0)
  }, 30_000)

  it('answers 503 until a worker that failed to load is fixed', async (test) => {
    const dir = await mkdtemp(join(project, 'broken-'))
    await writeFile(join(dir, 'handler.ts'), handler('fixed'))
    await writeFile(join(dir, 'worker.ts'), "import { serverless } from 'edgepod'\nexport default serverless.start({ handler: undefined })\n")
    const cli = edgepod(test, ['dev', 'worker.ts', '--port', '0', '--no-playground'], dir)
    const [explained] = await cli.printed(/^worker\.ts:2:27: TypeError: edgepod: serverless\.start needs a handler function.*$/m, 'stderr')
    expect(explained).toBeDefined()
    // The port is held all along; with nothing loaded it says why.
    const [, url] = await cli.printed(/nothing to serve at (http:\/\/\S+) until worker\.ts loads/, 'stderr')
    const unavailable = await fetch(`${url}/health`)
    expect(unavailable.status).toBe(503)
    expect(await unavailable.text()).toContain('worker.ts did not load')
    await writeFile(join(dir, 'worker.ts'), worker([]))
    await cli.printed(new RegExp(`^edgepod: serving worker\\.ts at ${url}$`, 'm'))
    expect(await ask(url!)).toBe('fixed')
    cli.child.kill('SIGTERM')
    expect((await cli.result).code).toBe(0)
  }, 30_000)
})

describe.concurrent('a worker that fails to load', () => {
  let project = ''
  beforeAll(async () => {
    project = await linkedProject()
  })
  afterAll(async () => {
    await rm(project, { recursive: true, force: true })
  })

  it('is shown at its place in the user\'s file, without edgepod\'s frames: a bad option', async (test) => {
    const worker = ["import { serverless } from 'edgepod'", '', 'export default serverless.start({', '  handler: () => 1,', '  maxEventBytes: -1,', '})', '']
    await writeFile(join(project, 'options.ts'), worker.join('\n'))
    const { code, stderr } = await edgepod(test, ['run', 'options.ts', '--input', '{}'], project).result
    expect(code).toBe(1)
    expect(stderr).toBe(
      [
        'edgepod: could not load options.ts:',
        'options.ts:3:27: TypeError: edgepod: maxEventBytes must be a positive number, got -1',
        '  3 | export default serverless.start({',
        '    |                           ^',
        '',
      ].join('\n')
    )
  })

  it('is shown at its place: an error thrown by a module the worker imports', async (test) => {
    await writeFile(join(project, 'thrower.ts'), "import './model.ts'\nexport default { fetch: () => new Response() }\n")
    await writeFile(join(project, 'model.ts'), "const weights = undefined as unknown as { load(): void }\nweights.load()\n")
    const { code, stderr } = await edgepod(test, ['run', 'thrower.ts', '--input', '{}'], project).result
    expect(code).toBe(1)
    expect(stderr).toMatch(/^edgepod: could not load thrower\.ts:\nmodel\.ts:2:9: TypeError: Cannot read properties of undefined \(reading 'load'\)\n  2 \| weights\.load\(\)\n/)
    expect(stderr).not.toContain('    at ')
  })

  it('is shown at its place: a JavaScript syntax error, which Node reports without a file', async (test) => {
    await writeFile(join(project, 'syntax.js'), "import './broken.js'\nexport default { fetch: () => new Response() }\n")
    await writeFile(join(project, 'broken.js'), 'export const answer = {\n  value: 1\n  other: 2\n}\n')
    const { code, stderr } = await edgepod(test, ['run', 'syntax.js', '--input', '{}'], project).result
    expect(code).toBe(1)
    expect(stderr).toBe(
      ["edgepod: could not load syntax.js:", "broken.js:3:3: SyntaxError: Unexpected identifier 'other'", '  3 |   other: 2', '    |   ^', ''].join('\n')
    )
  })
})

describe.concurrent('edgepod run', () => {
  it('prints each output in order, then the COMPLETED status, and exits 0', async (test) => {
    const { code, lines, stderr } = await edgepod(test, ['run', 'examples/tokens.ts', '--input', '{"count":3,"delay":1}']).result
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const outputs = ['Generated async token output 0', 'Generated async token output 1', 'Generated async token output 2']
    expect(lines.slice(0, 3)).toEqual(outputs.map((output) => JSON.stringify(output)))
    expect(lines).toHaveLength(4)
    expect(statusOf(lines[3])).toMatchObject({ status: 'COMPLETED', output: outputs })
  })

  it('prints progress apart from outputs, and exits 1 with the error when the handler throws', async (test) => {
    const { code, lines, stderr } = await edgepod(test, ['run', 'test/fixtures/fails.ts', '--input', '{}']).result
    expect(code).toBe(1)
    expect(lines.slice(0, 2)).toEqual(['progress: {"step":1}', '"partial"'])
    expect(statusOf(lines[2])).toMatchObject({ status: 'FAILED', error: 'the model ran out of memory' })
    expect(stderr).toContain('FAILED: the model ran out of memory')
  })

  it('prints log lines on stderr under their level, apart from the outputs on stdout', async (test) => {
    const { code, lines, stderr } = await edgepod(test, ['run', 'test/fixtures/logs.ts', '--input', '{}']).result
    expect(code).toBe(0)
    expect(lines.slice(0, 2)).toEqual(['"a"', '"b"'])
    expect(statusOf(lines[2])).toMatchObject({ status: 'COMPLETED', output: ['a', 'b'] })
    expect(lines).toHaveLength(3)
    expect(stderr).toBe('[info] loading weights\n[warn] cache miss\n[warn] fetching again\n')
  })

  it('takes the whole request body from --test_input', async (test) => {
    const { code, lines } = await edgepod(test, ['run', 'examples/tokens.ts', '--test_input', '{"input":{"count":1,"delay":1}}'])
      .result
    expect(code).toBe(0)
    expect(lines[0]).toBe('"Generated async token output 0"')
    expect(statusOf(lines[1]).status).toBe('COMPLETED')
  })

  it('reads ./test_input.json when no flag gives the job, and --input @file', async (test) => {
    await writeFile(join(dir, 'test_input.json'), '{"input":{"count":1,"delay":1}}')
    await writeFile(join(dir, 'input.json'), '{"count":2,"delay":1}')
    const [fromTestInput, fromFile] = await Promise.all([
      edgepod(test, ['run', tokens], dir).result,
      edgepod(test, ['run', tokens, '--input', '@input.json'], dir).result,
    ])
    expect(fromTestInput.code).toBe(0)
    expect(statusOf(fromTestInput.lines.at(-1)).output).toEqual(['Generated async token output 0'])
    expect(fromFile.code).toBe(0)
    expect(statusOf(fromFile.lines.at(-1)).output).toHaveLength(2)
  })

  it('cancels the job on SIGINT and exits 1', async (test) => {
    const cli = edgepod(test, ['run', 'examples/tokens.ts', '--input', '{"count":3,"delay":60000}'])
    await cli.printed(/^"Generated async token output 0"$/m)
    cli.child.kill('SIGINT')
    const { code, lines, stderr } = await cli.result
    expect(code).toBe(1)
    expect(statusOf(lines.at(-1))).toMatchObject({ status: 'CANCELLED', output: ['Generated async token output 0'] })
    expect(stderr).toContain('cancelling job')
  })

  it('refuses bad JSON with exit code 2, before running anything', async (test) => {
    const { code, stdout, stderr } = await edgepod(test, ['run', 'examples/tokens.ts', '--input', '{count:3}']).result
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toMatch(/^edgepod: --input is not valid JSON: /)
  })
})

describe.concurrent('usage', () => {
  it('prints the help with --help, and explains usage errors with exit code 2', async (test) => {
    const [help, version, unknown, noFile, missingFile, notAWorker, bothInputs] = await Promise.all([
      edgepod(test, ['--help']).result,
      edgepod(test, ['--version']).result,
      edgepod(test, ['serve', 'examples/tokens.ts']).result,
      edgepod(test, ['dev']).result,
      edgepod(test, ['run', 'test/fixtures/missing.ts', '--input', '1']).result,
      edgepod(test, ['run', 'test/fixtures/no-fetch.ts', '--input', '1']).result,
      edgepod(test, ['run', 'examples/tokens.ts', '--input', '1', '--test_input', '{"input":1}']).result,
    ])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('edgepod dev <file>')
    const { version: packageVersion } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string }
    expect(version).toMatchObject({ code: 0, stdout: `edgepod ${packageVersion}\n` })
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('unknown command "serve"')
    expect(unknown.stderr).toContain('usage: edgepod dev <file>')
    expect(noFile.code).toBe(2)
    expect(noFile.stderr).toContain('dev needs a worker file')
    expect(missingFile.code).toBe(2)
    expect(missingFile.stderr).toContain('no such file: test/fixtures/missing.ts')
    expect(notAWorker.code).toBe(2)
    expect(notAWorker.stderr).toContain('has no default export with a fetch method')
    expect(bothInputs.code).toBe(2)
  })
})

describe('a worker keyed by EDGEPOD_API_KEY in the environment', () => {
  it('is served with the key required, and run presents the key itself', async (test) => {
    const env = { EDGEPOD_API_KEY: 'first-key, second-key' }
    const dev = edgepod(test, ['dev', tokens, '--port', '0'], root, env)
    const [, url] = await dev.printed(/at (http:\/\/\S+)/)
    const body = JSON.stringify({ input: { count: 1, delay: 1 } })
    expect((await fetch(`${url}/runsync`, { method: 'POST', body })).status).toBe(401)
    const keyed = await fetch(`${url}/runsync`, { method: 'POST', body, headers: { Authorization: 'Bearer second-key' } })
    expect((await keyed.json()).status).toBe('COMPLETED')
    const run = await edgepod(test, ['run', tokens, '--input', '{"count":2,"delay":1}'], root, env).result
    expect(run.code).toBe(0)
    expect(statusOf(run.lines.at(-1)).status).toBe('COMPLETED')
  })
})

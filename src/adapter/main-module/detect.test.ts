/**
 * A worker file run by itself, as `python handler.py` runs: `--test_input` or a `test_input.json`
 * beside it runs one job and exits 0 only if it completed; `--rp_serve_api` serves it with RunPod's
 * local-server flags and `PORT_HEALTH`; a file imported by another entry never acts. On Node (tsx),
 * Bun and Deno, each a real process.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { root, spawnServer } from '../../../test/conformance/runtimes/spawn-server.ts'
import type { SpawnedServer } from '../../../test/conformance/runtimes/spawn-server.ts'

const WORKER = 'test/fixtures/self-run.ts'

/** How each runtime runs a file with arguments, as a user types it. */
const RUNTIMES = {
  node: (file: string) => [process.execPath, '--import', 'tsx', file],
  bun: (file: string) => [join(root, 'node_modules/.bin/bun'), file],
  deno: (file: string) => [join(root, 'node_modules/.bin/deno'), 'run', '--allow-net', '--allow-env', '--allow-read', file],
} as const

type Runtime = keyof typeof RUNTIMES

interface Ran {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `file` on `runtime` with `args` to its end. */
function run(runtime: Runtime, file: string, args: string[] = [], env: Record<string, string> = {}): Promise<Ran> {
  const [command, ...rest] = RUNTIMES[runtime](file)
  const child = spawn(command!, [...rest, ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })))
}

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

const statusLine = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as { status: string; output?: unknown; error?: string }

// A folder beside the fixtures, so that Deno finds the repository's deno.json as for any file here.
let besideDir = ''
beforeAll(async () => {
  besideDir = await mkdtemp(join(root, 'test/fixtures/self-run-'))
  await writeFile(join(besideDir, 'worker.ts'), "export { default } from '../self-run.ts'\n")
  await writeFile(join(besideDir, 'test_input.json'), '{"input": {"prompt": "from the file"}}')
})
afterAll(async () => {
  await rm(besideDir, { recursive: true, force: true })
})

describe.concurrent.each(Object.keys(RUNTIMES) as Runtime[])('a worker file run by itself on %s', (runtime) => {
  it('runs the job of --test_input, prints its outputs, logs and status, and exits 0', async () => {
    const ran = await run(runtime, WORKER, ['--test_input', '{"input": {"prompt": "hi"}}'])
    expect(ran.code).toBe(0)
    expect(statusLine(ran.stdout)).toMatchObject({ status: 'COMPLETED', output: { echo: 'hi' } })
    expect(ran.stderr).toContain(`edgepod: running one job through ${WORKER}\n`)
    expect(ran.stderr).toContain('[info] prompt hi\n')
  })

  it('runs the test_input.json beside the file when no flag gives a job', async () => {
    const ran = await run(runtime, join(besideDir, 'worker.ts'))
    expect(ran.code).toBe(0)
    expect(statusLine(ran.stdout)).toMatchObject({ status: 'COMPLETED', output: { echo: 'from the file' } })
    expect(ran.stderr).toContain('from test_input.json')
  })

  it('exits 1 when the job did not complete, and 2 for bad JSON or a job without input', async () => {
    const failed = await run(runtime, WORKER, ['--test_input', '{"input": {"fail": true}}'])
    expect([failed.code, statusLine(failed.stdout).status]).toEqual([1, 'FAILED'])
    expect(failed.stderr).toContain('edgepod: job FAILED: asked to fail')
    const notJson = await run(runtime, WORKER, ['--test_input', '{input'])
    expect([notJson.code, notJson.stdout]).toEqual([2, ''])
    expect(notJson.stderr).toContain('--test_input is not valid JSON')
    const noInput = await run(runtime, WORKER, ['--test_input', '{"inptu": 1}'])
    expect(noInput.code).toBe(2)
    expect(noInput.stderr).toContain('(missing_input)')
  })

  it('serves with --rp_serve_api on --rp_api_port, --rp_api_concurrency jobs at once, and /ping alone on PORT_HEALTH', async () => {
    // Bun serves an entry's default export on $PORT by itself: it must not here.
    const bunPort = await freePort()
    const server: SpawnedServer = await spawnServer(
      RUNTIMES[runtime](WORKER)[0]!,
      [...RUNTIMES[runtime](WORKER).slice(1), '--rp_serve_api', '--rp_api_port', '0', '--rp_api_concurrency', '3'],
      { ready: /serving test\/fixtures\/self-run\.ts at (http:\/\/\S+) \(--rp_serve_api\)/, env: { PORT_HEALTH: '0', PORT: String(bunPort) } }
    )
    try {
      const runsync = await fetch(`${server.url}/runsync`, { method: 'POST', body: '{"input": {"prompt": "served"}}' })
      expect(await runsync.json()).toMatchObject({ status: 'COMPLETED', output: { echo: 'served' } })
      expect((await (await fetch(`${server.url}/health`)).json()).workers).toMatchObject({ idle: 3, running: 0, ready: 1 })
      const health = /GET \/ping at (http:\/\/[\d.:]+)\/ping \(PORT_HEALTH\)/.exec(server.output())![1]!
      const ping = await fetch(`${health}/ping`)
      expect([ping.status, await ping.json()]).toEqual([200, { status: 'healthy' }])
      const other = await fetch(`${health}/runsync`, { method: 'POST', body: '{"input": {}}' })
      expect([other.status, (await other.json()).code]).toEqual([404, 'not_found'])
      await expect(fetch(`http://127.0.0.1:${bunPort}/ping`)).rejects.toThrow()
    } finally {
      await server.stop()
    }
  })

  it('drains and exits 0 after a job whose result asks for refresh_worker, finishing the job under way', async ({ expect }) => {
    const server = await spawnServer(RUNTIMES[runtime](WORKER)[0]!, [...RUNTIMES[runtime](WORKER).slice(1), '--rp_serve_api', '--rp_api_port', '0'], {
      ready: /serving \S+ at (http:\/\/\S+) \(--rp_serve_api\)/,
    })
    try {
      const post = async (path: string, input: unknown) => fetch(`${server.url}${path}`, { method: 'POST', body: JSON.stringify({ input }) })
      const slow = (await (await post('/run', { prompt: 'slow', ms: 400 })).json()) as { id: string }
      const refreshing = await (await post('/runsync', { prompt: 'last', refresh: true })).json()
      // RunPod strips the key from the output.
      expect(refreshing).toMatchObject({ status: 'COMPLETED', output: { echo: 'last' } })
      expect(refreshing.output).not.toHaveProperty('refresh_worker')
      const refused = await post('/run', { prompt: 'late' })
      expect([refused.status, refused.headers.get('retry-after'), (await refused.json()).code]).toEqual([503, '1', 'draining'])
      expect((await fetch(`${server.url}/ping`)).status).toBe(503)
      // The job under way ends as it would, and its result can be read until the process exits.
      await expect.poll(async () => (await (await fetch(`${server.url}/status/${slow.id}`)).json()).status).toBe('COMPLETED')
      await server.exited
      expect(server.output()).toContain('edgepod: refresh_worker: draining, then exiting for a fresh process')
    } finally {
      await server.stop()
    }
  })

  it('never acts when another entry imports the file, even with RunPod flags', async () => {
    const ran = await run(runtime, 'test/fixtures/imports-self-run.ts', ['--test_input', '{"input": {}}', '--rp_serve_api'])
    expect([ran.code, ran.stdout]).toEqual([0, 'function\n'])
    expect(ran.stderr).not.toContain('edgepod')
  })
})

describe('a worker file run on Deno without the permissions it needs', () => {
  /** `deno run` with no permission at all. */
  const bareDeno = async (file: string, args: string[] = []) => {
    const child = spawn(RUNTIMES.deno(file)[0]!, ['run', file, ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const code = await new Promise((resolve) => child.on('close', resolve))
    return { code, stderr }
  }

  it('says which, exits 1, and never prompts for them', async () => {
    const flagged = await bareDeno(WORKER, ['--test_input', '{"input": {}}'])
    expect(flagged.code).toBe(1)
    expect(flagged.stderr).toContain('edgepod: Deno runs a worker file by itself only with --allow-read (and --allow-net, --allow-env)')
    // A test_input.json it may not read is not looked for: a prompt would wait on a terminal.
    const beside = await bareDeno(join(besideDir, 'worker.ts'))
    expect(beside.code).toBe(0)
    expect(beside.stderr).not.toContain('edgepod')
  })
})

describe('a worker file run on Node with nothing to do', () => {
  it('says what it can do, and exits 0', async () => {
    const ran = await run('node', WORKER)
    expect([ran.code, ran.stdout]).toEqual([0, ''])
    expect(ran.stderr).toContain(`edgepod: ${WORKER} is a worker, and nothing asked it to act: add --rp_serve_api to serve it`)
  })
})

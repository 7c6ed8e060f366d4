/**
 * Every code block of the README and docs/, run as printed, so that none can rot: each worker is
 * served on its runtime (Node through `edgepod dev`, the Durable Object one under `wrangler dev`)
 * and answers a job as its comments promise (`// output: …`); each client runs against the worker
 * it names; each shell line runs in bash and prints what its `# {…}` comment shows; every
 * TypeScript block type-checks. A block no case below runs fails the last test.
 *
 * The one liberty taken with the code: the documented port 8000 becomes a free one (the worker's
 * real URL replaces `localhost:8000`, and `--port 0` is added to a command that serves), so that
 * the tests run beside anything. The blocks run in a directory inside the repository, where
 * `import 'edgepod'` is this package (its sources, as everywhere in the tests) and `npx edgepod` its
 * command; `test/package.test.ts` runs the same kinds of files against the packed tarball.
 */
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Webhook } from 'standardwebhooks'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { serve } from 'edgepod/node'
import type { NodeServer } from 'edgepod/node'
import { docBlocksOf, promisedOutputOf, promisedPrintOf } from './helpers/doc-blocks.ts'
import type { DocBlock } from './helpers/doc-blocks.ts'
import { durableObjectConfig, launchWorkerd } from './conformance/runtimes/workerd.ts'
import { root, spawnServer } from './conformance/runtimes/spawn-server.ts'
import { startRedis } from './helpers/redis-server.ts'
import { startS3 } from './helpers/s3-server.ts'
import type { RuntimeServer } from './conformance/runtimes/runtime.ts'

const run = promisify(execFile)

const DOCS = ['README.md', ...readdirNames('docs').map((name) => `docs/${name}`)]
const blocks = DOCS.flatMap((doc) => docBlocksOf(doc, readFileSync(join(root, doc), 'utf8')))
/** The blocks each case ran: the last test checks that every block was. */
const ran = new Set<DocBlock>()

function readdirNames(dir: string): string[] {
  return readdirSync(join(root, dir))
    .filter((name) => name.endsWith('.md'))
    .sort()
}

/** The one block of `doc` whose code contains `text`; marked as run. */
function block(doc: string, text: string): DocBlock {
  const found = blocks.filter((candidate) => candidate.doc === doc && candidate.code.includes(text))
  if (found.length !== 1) throw new Error(`${doc}: ${found.length} code blocks contain ${JSON.stringify(text)}, not one`)
  ran.add(found[0]!)
  return found[0]!
}

/** The handler most snippets import: a token stream, as an LLM's. */
const HANDLER = "export const handler = async function* () {\n  yield 'Hello'\n  yield ', '\n  yield 'world'\n}\n"

let project = ''
const servers: RuntimeServer[] = []

beforeAll(async () => {
  // Inside the repository: the snippets' `edgepod`, `zod` and `runpod-sdk` resolve as in its tests.
  project = await mkdtemp(join(root, '.docs-test-'))
  // The repository's settings (strict, and more), less its own lint: a handler may leave `job` unused.
  const compilerOptions = { noEmit: true, noUnusedLocals: false, noUnusedParameters: false }
  await writeFile(join(project, 'tsconfig.json'), JSON.stringify({ extends: '../tsconfig.json', compilerOptions, include: ['**/*.ts'] }))
})
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()))
})
afterAll(async () => {
  await rm(project, { recursive: true, force: true })
})

/** A directory for `block`'s files, with the handler it may import. */
async function dirFor(block: DocBlock): Promise<string> {
  const dir = join(project, `${block.doc.replace(/\W/g, '-')}-${block.line}`)
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'handler.ts'), HANDLER)
  return dir
}

/** Writes `block` as `worker.ts` in its directory and serves it with `edgepod dev`. */
async function serveWorker(block: DocBlock, env: Record<string, string> = {}): Promise<{ url: string; dir: string }> {
  const dir = await dirFor(block)
  await writeFile(join(dir, 'worker.ts'), block.code)
  const server = await spawnServer(process.execPath, [join(root, 'bin/edgepod.js'), 'dev', 'worker.ts', '--port', '0'], {
    cwd: dir,
    env,
    ready: /serving worker\.ts at (http:\/\/\S+)/,
  })
  servers.push(server)
  return { url: server.url, dir }
}

/** The documented port 8000 becomes `url`'s. */
const atUrl = (code: string, url: string) => code.replace(/(localhost|127\.0\.0\.1):8000/g, new URL(url).host)

interface Answer {
  status: number
  body: { status?: string; output?: unknown; error?: string }
}

async function runSync(url: string, init: { input?: unknown; headers?: Record<string, string>; webhook?: string } = {}): Promise<Answer> {
  const body = JSON.stringify({ input: init.input ?? { prompt: 'hello edge world' }, webhook: init.webhook })
  const response = await fetch(`${url}/runsync`, { method: 'POST', body, headers: init.headers ?? {} })
  return { status: response.status, body: (await response.json()) as Answer['body'] }
}

/** Serves a worker block and checks that it runs a job to COMPLETED, with the output its comment promises. */
async function expectWorkerRuns(block: DocBlock, env: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<string> {
  const { url } = await serveWorker(block, env)
  const { status, body } = await runSync(url, { headers })
  expect(status).toBe(200)
  expect(body.status).toBe('COMPLETED')
  const promised = promisedOutputOf(block.code)
  if (promised) expect(body.output).toEqual(promised.json)
  return url
}

/** Runs a TypeScript file with tsx, this package's sources standing for `edgepod`. */
function runTs(dir: string, file: string, env: Record<string, string> = {}) {
  return run(join(root, 'node_modules/.bin/tsx'), ['--conditions=edgepod-source', file], { cwd: dir, env: { ...process.env, ...env } })
}

/** What a client snippet's `console.log(…) // <text>` comments promise it prints. */
const promisedLogsOf = (code: string) => [...code.matchAll(/console\.log\(.*\)\s*\/\/ (.+)$/gm)].map((match) => match[1]!)

/**
 * Runs shell lines one after another in one bash (so a variable set by one is seen by the next),
 * each line's printout checked against its `# {…}` comment; resolves to each line's printout.
 */
async function runShellLines(lines: string[], cwd: string, env: Record<string, string> = {}): Promise<string[]> {
  const marker = '@@edgepod-docs-line@@'
  const script = ['set -euo pipefail', ...lines.flatMap((line) => [`printf '\\n${marker}\\n'`, line])].join('\n')
  const { stdout } = await run('bash', ['-c', script], { cwd, env: { ...process.env, NO_COLOR: '1', ...env } })
  const printed = stdout.split(`\n${marker}\n`).slice(1)
  lines.forEach((line, index) => {
    const promised = promisedPrintOf(line)
    if (promised) expect(printed[index]?.trim(), line).toMatch(promised)
  })
  return printed
}

/** A shell block's command lines (comments and blank lines out). */
const commandsOf = (block: DocBlock) => block.code.split('\n').filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'))

describe('README.md', () => {
  const doc = 'README.md'

  it('the opening worker, and the two commands beside it', async () => {
    const worker = block(doc, 'for (let i = 0; i < 5; i++) yield `token ${i}`')
    const url = await expectWorkerRuns(worker)
    expect((await runSync(url)).body.output).toEqual(['token 0', 'token 1', 'token 2', 'token 3', 'token 4'])

    const dir = await dirFor(worker)
    const [devLine, runLine] = commandsOf(block(doc, 'npx edgepod run worker.ts'))
    const dev = await spawnServer('bash', ['-c', `exec ${devLine!.replace(/\s+#.*$/, '')} --port 0`], {
      cwd: dir,
      group: true,
      ready: /serving worker\.ts at (http:\/\/\S+)/,
    })
    servers.push(dev)
    expect((await runSync(dev.url)).body.status).toBe('COMPLETED')
    const [printed] = await runShellLines([runLine!], dir)
    expect(printed).toContain('"token 4"')
    expect(printed).toContain('"status":"COMPLETED"')
  })

  it('the worker file run by itself: a test job from the flag and from test_input.json, and --rp_serve_api on Node and Bun', async () => {
    const worker = block(doc, 'for (let i = 0; i < 5; i++) yield `token ${i}`')
    const dir = await dirFor(worker)
    await writeFile(join(dir, 'worker.ts'), worker.code)
    await writeFile(join(dir, 'test_input.json'), '{"input": {}}')
    const [flagLine, fileLine, serveLine, bunLine] = commandsOf(block(doc, 'npx tsx worker.ts --rp_serve_api'))
    // `edgepod` is this package's sources, as everywhere in the tests.
    const sources = { NODE_OPTIONS: '--conditions=edgepod-source' }
    const [fromFlag, fromFile] = await runShellLines([flagLine!, fileLine!], dir, sources)
    for (const printed of [fromFlag, fromFile]) {
      expect(printed).toContain('"token 4"')
      expect(printed).toContain('"status":"COMPLETED"')
    }
    const bun = join(root, 'node_modules/.bin/bun --conditions=edgepod-source')
    for (const line of [serveLine!, bunLine!.replace(/^bun /, `${bun} `)]) {
      const command = `exec ${line.replace(/\s+#.*$/, '').replace('--rp_api_port 8000', '')} --rp_api_port 0`
      const server = await spawnServer('bash', ['-c', command], { cwd: dir, env: sources, group: true, ready: /serving worker\.ts at (http:\/\/\S+)/ })
      servers.push(server)
      expect((await runSync(server.url)).body).toMatchObject({ status: 'COMPLETED', output: ['token 0', 'token 1', 'token 2', 'token 3', 'token 4'] })
    }
  })

  it('scaling out: the two members share their jobs through Redis, and a worker opens its own store', async () => {
    const redis = await startRedis()
    try {
      const dir = await dirFor(block(doc, 'for (let i = 0; i < 5; i++) yield `token ${i}`'))
      await writeFile(join(dir, 'worker.ts'), block(doc, 'for (let i = 0; i < 5; i++) yield `token ${i}`').code)
      const members: RuntimeServer[] = []
      for (const line of commandsOf(block(doc, 'EDGEPOD_REDIS_URL=redis://127.0.0.1:6379 npx edgepod dev'))) {
        const command = line.replace('redis://127.0.0.1:6379', redis.url).replace(/--port \d+/, '--port 0')
        const member = await spawnServer('bash', ['-c', command], { cwd: dir, group: true, ready: /serving worker\.ts at (http:\/\/\S+)/ })
        servers.push(member)
        members.push(member)
      }
      expect(members).toHaveLength(2)
      const { id } = await (await fetch(`${members[0]!.url}/run`, { method: 'POST', body: '{"input":{}}' })).json()
      const streamed = await (await fetch(`${members[1]!.url}/stream/${id}`, { headers: { accept: 'text/event-stream' } })).text()
      expect(streamed).toContain('data: "token 4"')
      expect(streamed).toContain('event: done')

      const own = block(doc, "import { redisStore } from 'edgepod/redis'")
      await expectWorkerRuns(own, { REDIS_URL: redis.url })
      expect(await redis.cli('--scan', '--pattern', '{my-app}:job:*')).not.toBe('')
    } finally {
      await redis.close()
    }
  })

  it('serving language models: the openaiHandler worker, and the openai SDK pointed at it', async () => {
    const { url, dir } = await serveWorker(block(doc, "import { openaiHandler, serverless } from 'edgepod'"))
    const client = block(doc, "import OpenAI from 'openai'")
    await writeFile(join(dir, 'client.ts'), atUrl(client.code, url))
    const { stdout } = await runTs(dir, 'client.ts')
    expect(stdout).toBe('You said: hi\n')
  })

  it('the set-up commands: npm start serves the example, and the curl session runs against it as printed', async () => {
    const setUp = commandsOf(block(doc, 'npm install && npm start'))
    // `npm install` and `npm test` are what CI runs on a clean checkout (.ci/run): this very test is one of them.
    expect(setUp.map((line) => line.replace(/\s+#.*$/, ''))).toEqual(['npm install && npm start', 'npm test'])
    expect(await readFile(join(root, '.ci/run'), 'utf8')).toMatch(/^npm ci .*\n[^]*^npm test /m)
    const start = await spawnServer('npm', ['start', '--', '--port', '0'], {
      group: true,
      ready: /serving examples\/tokens\.ts at (http:\/\/\S+)/,
    })
    servers.push(start)

    const session = block(doc, 'curl -s localhost:8000/runsync')
    const printed = await runShellLines(commandsOf(session).map((line) => atUrl(line, start.url)), root)
    // The two streams, which promise no JSON: three outputs each, then the end.
    for (const stream of [printed[1]!, printed[3]!]) {
      expect(stream.match(/^event: output$/gm)).toHaveLength(3)
      expect(stream).toMatch(/^event: done\ndata: \{"id":"[^"]+","status":"COMPLETED"/m)
    }
  })

  it('input validation: the worker', async () => {
    const worker = block(doc, 'schema: z.object({ prompt: z.string().min(1)')
    const url = await expectWorkerRuns(worker)
    expect((await runSync(url, { input: { prompt: 'one two three', maxTokens: 2 } })).body.output).toEqual(['one', 'two'])
    const refused = await runSync(url, { input: { prompt: '' } })
    expect([refused.status, (refused.body as { code?: string }).code]).toEqual([400, 'invalid_input'])
  })

  it('webhooks: signed deliveries', async () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
    const deliveries: Array<{ headers: Record<string, string>; body: string }> = []
    let delivered!: () => void
    const arrived = new Promise<void>((resolve) => (delivered = resolve))
    const receiver: NodeServer = await serve(
      {
        async fetch(request) {
          deliveries.push({ headers: Object.fromEntries(request.headers), body: await request.text() })
          delivered()
          return new Response('ok')
        },
      },
      { port: 0 }
    )
    try {
      const { url } = await serveWorker(block(doc, 'webhooks: { secret: process.env.WEBHOOK_SECRET'), { WEBHOOK_SECRET: secret })
      expect((await runSync(url, { webhook: `${receiver.url}/hook` })).body.status).toBe('COMPLETED')
      await arrived
      const [delivery] = deliveries
      const verified = new Webhook(secret).verify(delivery!.body, delivery!.headers) as { status: string }
      expect(verified.status).toBe('COMPLETED')
    } finally {
      await receiver.close()
    }
  })

  it('limits: the worker, whose OpenAPI document tells them', async () => {
    const url = await expectWorkerRuns(block(doc, 'maxEventBytes: 256 * 1024'))
    const document = (await (await fetch(`${url}/openapi.json`)).json()) as { info: Record<string, Record<string, number>> }
    expect(document.info['x-edgepod-limits']).toMatchObject({ maxEventBytes: 262_144, maxResultBytes: 52_428_800 })
  })

  it('large outputs: a file uploaded and an output spilled to the bucket of BUCKET_* variables, as the comments say', async () => {
    const s3 = await startS3()
    try {
      const env = { BUCKET_ENDPOINT_URL: s3.endpointUrl, BUCKET_NAME: s3.bucketName, BUCKET_ACCESS_KEY_ID: s3.accessId, BUCKET_SECRET_ACCESS_KEY: s3.accessSecret }
      const { url } = await serveWorker(block(doc, "yield await job.upload('a generated file'"), env)
      const { body } = await runSync(url)
      expect(body.status).toBe('COMPLETED')
      const [file, spilled] = body.output as { url: string; size: number; contentType: string }[]
      expect(file).toEqual({ url: expect.any(String), size: 16, contentType: 'text/plain; charset=utf-8' })
      expect(await (await fetch(file!.url)).text()).toBe('a generated file')
      expect(spilled).toEqual({ url: expect.any(String), size: 4107, contentType: 'application/json' })
      expect(await (await fetch(spilled!.url)).json()).toEqual({ text: 'x'.repeat(4096) })
    } finally {
      await s3.close()
    }
  })

  it('aggregation: concat and a reducer, with the outputs their comments promise', async () => {
    await expectWorkerRuns(block(doc, "aggregate: 'concat' })"))
    await expectWorkerRuns(block(doc, 'aggregate: { initial: 0, reduce:'))
  })

  it('API keys: either key of the list is accepted, no key is 401', async () => {
    const worker = block(doc, 'apiKey: [process.env.NEW_KEY!, process.env.OLD_KEY!]')
    const url = await expectWorkerRuns(worker, { NEW_KEY: 'new-key', OLD_KEY: 'old-key' }, { Authorization: 'Bearer old-key' })
    expect((await runSync(url, { headers: { Authorization: 'Bearer new-key' } })).body.status).toBe('COMPLETED')
    expect((await runSync(url)).status).toBe(401)
  })

  it('the Durable Object worker and its wrangler.toml lines, under wrangler dev', async () => {
    const worker = block(doc, "durableObject: 'EDGEPOD_JOBS'")
    const config = block(doc, '[[durable_objects.bindings]]')
    expect(config.lang).toBe('toml')
    // The suite's own config for the object is the README's, line for line.
    expect(config.code.trim().split('\n')).toEqual(durableObjectConfig)
    const dir = await dirFor(worker)
    await writeFile(join(dir, 'worker.ts'), worker.code)
    const server = await launchWorkerd(join(dir, 'worker.ts'), { extraConfig: config.code.split('\n') })
    servers.push(server)
    const { body } = await runSync(server.url)
    expect(body).toMatchObject({ status: 'COMPLETED', output: [] })
  }, 90_000)

  it('the client, against the input validation worker', async () => {
    const client = block(doc, "import { createClient } from 'edgepod/client'")
    const { url, dir } = await serveWorker(block(doc, 'schema: z.object({ prompt: z.string().min(1)'))
    await writeFile(join(dir, 'client.ts'), atUrl(client.code, url))
    const { stdout } = await runTs(dir, 'client.ts')
    expect(stdout).toMatch(/^one\ntwo\nthree\n[0-9a-f-]{36} \[ 'hi' \]\n$/)
  })

  it('running it on Node with serve()', async () => {
    const entry = block(doc, "import { serve } from 'edgepod/node'")
    const dir = await dirFor(entry)
    await writeFile(join(dir, 'worker.ts'), block(doc, 'for (let i = 0; i < 5; i++) yield `token ${i}`').code)
    await writeFile(join(dir, 'server.ts'), entry.code)
    const server = await spawnServer(join(root, 'node_modules/.bin/tsx'), ['--conditions=edgepod-source', 'server.ts'], {
      cwd: dir,
      env: { PORT: '0' },
      ready: /serving at (http:\/\/\S+)/,
    })
    servers.push(server)
    expect((await runSync(server.url)).body.output).toHaveLength(5)
  })
})

describe('docs/coming-from-runpod.md', () => {
  const doc = 'docs/coming-from-runpod.md'

  it("the ported worker, read by RunPod's own client", async () => {
    const url = await expectWorkerRuns(block(doc, 'return_aggregate_stream: true'))
    const client = block(doc, "import runpodSdk from 'runpod-sdk'")
    const dir = await dirFor(client)
    await writeFile(join(dir, 'client.ts'), atUrl(client.code, url))
    const { stdout } = await runTs(dir, 'client.ts')
    for (const promised of promisedLogsOf(client.code)) expect(stdout).toContain(promised)
  })
})

describe('every block', () => {
  it('type-checks, as the files the cases above wrote', async () => {
    const files = (await readdir(project, { recursive: true })).filter((name) => name.endsWith('.ts'))
    expect(files.length).toBeGreaterThan(10)
    await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', project]).catch((failure: { stdout: string }) => {
      throw new Error(`the documented code does not type-check:\n${failure.stdout}`)
    })
  }, 60_000)

  it('was run by a case above', () => {
    const missed = blocks.filter((candidate) => !ran.has(candidate)).map(({ doc, line }) => `${doc}:${line}`)
    expect(missed).toEqual([])
  })
})

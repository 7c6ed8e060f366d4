/**
 * Bun's idle limit, met for real: a Bun server (edgepod's Bun adapter) whose handler is silent for
 * {@link BUN_QUIET_MS} between two outputs, read to its end by a Node client, both in child
 * processes. It takes that long, so the test file starts it before its first test, to overlap
 * the rest of the file, and checks what the client read in its last test.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bun } from '../../conformance/runtimes/bun.ts'
import type { RuntimeServer } from '../../conformance/runtimes/runtime.ts'

/** Longer than Bun's 10 s idle limit, which, checked on a 4 s tick, cut a quiet response at 12 s every time. */
export const BUN_QUIET_MS = 13_500
const SRC_INDEX = fileURLToPath(new URL('../../../src/index.ts', import.meta.url))

/** What the client read: the status, the body as text, and the error that ended the read early, if any. */
export interface ChildRead {
  status: number
  text: string
  error?: string
}

/** POSTs to `url` from a child Node process and reads the body to its end (or error). */
function readInChild(url: string, spawned: (child: ChildProcess) => void): Promise<ChildRead> {
  const script = `
    const response = await fetch(process.argv[1], { method: 'POST', body: '{"input":{}}' })
    let text = ''
    let error
    try { for await (const chunk of response.body.pipeThrough(new TextDecoderStream())) text += chunk } catch (e) { error = String(e) }
    process.stdout.write(JSON.stringify({ status: response.status, text, error }))`
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, url], { stdio: ['ignore', 'pipe', 'inherit'] })
    spawned(child)
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    child.once('error', reject)
    child.once('exit', () => {
      try {
        resolve(JSON.parse(out) as ChildRead)
      } catch {
        reject(new Error(`the client printed: ${out}`))
      }
    })
  })
}

/**
 * The quiet Bun stream and its reader: `start` them in beforeAll, `read` what the client read in
 * the last test, and `stop` them in afterAll (which also cleans up after a `start` that failed).
 */
export function quietBunStream() {
  let bunCheck: Promise<ChildRead> | undefined
  let bunServer: RuntimeServer | undefined
  let bunClient: ChildProcess | undefined
  let bunDir = ''
  return {
    /** Writes the worker, serves it with Bun and starts the client; resolves without waiting for the read. */
    async start(): Promise<void> {
      bunDir = await mkdtemp(join(tmpdir(), 'edgepod-pain-points-'))
      const file = join(bunDir, 'quiet-worker.ts')
      await writeFile(
        file,
        [
          `import { serverless } from ${JSON.stringify(SRC_INDEX)}`,
          // keepAlive is the default 15 s: nothing at all is written between the two outputs.
          'export default serverless.start({',
          `  handler: async function* () { yield 'before'; await new Promise((resolve) => setTimeout(resolve, ${BUN_QUIET_MS})); yield 'after' },`,
          '})',
          '',
        ].join('\n')
      )
      // test/conformance's launcher: `bun bun-entry.ts <file>`, served with edgepod's Bun adapter.
      bunServer = await bun(file)
      bunCheck = readInChild(`${bunServer.url}/stream`, (child) => (bunClient = child))
      // Marked handled here; the last test awaits it.
      bunCheck.catch(() => {})
    },
    /** What the client read, once it has read to the end (after `start`). */
    read: (): Promise<ChildRead> => bunCheck!,
    /** Stops the client and the Bun server, and removes the worker's folder. */
    async stop(): Promise<void> {
      if (bunClient && bunClient.exitCode === null) bunClient.kill()
      await bunServer?.stop()
      if (bunDir) await rm(bunDir, { recursive: true, force: true })
    },
  }
}

/**
 * A real `redis-server` (Debian's) for a test: on a free loopback port, in a directory of its own,
 * with the append-only file on, so that a restart keeps what it acknowledged. It can be stopped and
 * started again on the same port (a restart), and can drop its clients' connections.
 */
import { spawn, execFile } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** A running Redis of a test. */
export interface TestRedis {
  readonly port: number
  /** `redis://127.0.0.1:<port>` (with the password, when it has one). */
  readonly url: string
  /** Runs a `redis-cli` command against it; resolves to what it printed. */
  cli(...args: string[]): Promise<string>
  /** Shuts it down (saving its append-only file), or kills it with `signal`. */
  stop(signal?: NodeJS.Signals): Promise<void>
  /** Starts it again on the same port, from its files; nothing when it runs. */
  restart(): Promise<void>
  /** Stops it and deletes its files. */
  close(): Promise<void>
}

/** Options of {@link startRedis}. */
export interface TestRedisOptions {
  /** Require this password (`requirepass`). */
  password?: string
  /** Extra `redis-server` arguments (TLS). */
  args?: string[]
  /** The port to check readiness on and put in the URL, when `args` move the plain port away (TLS). */
  scheme?: 'redis' | 'rediss'
}

/** A port free on 127.0.0.1 now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** Starts a `redis-server` for a test. */
export async function startRedis(options: TestRedisOptions = {}): Promise<TestRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'edgepod-redis-'))
  const port = await freePort()
  const scheme = options.scheme ?? 'redis'
  const auth = options.password ? [`--requirepass`, options.password] : []
  const portArgs = scheme === 'rediss' ? ['--port', '0', '--tls-port', String(port)] : ['--port', String(port)]
  const args = [...portArgs, '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', ...auth, ...(options.args ?? [])]
  const cliArgs = [...(scheme === 'rediss' ? ['--tls', ...tlsCliArgs(options.args ?? [])] : []), '-p', String(port), ...(options.password ? ['-a', options.password, '--no-auth-warning'] : [])]
  let server: ChildProcess | undefined

  const cli = async (...command: string[]) => (await run('redis-cli', [...cliArgs, ...command])).stdout.trim()
  const start = async () => {
    server = spawn('redis-server', args, { stdio: 'ignore' })
    const exited = new Promise<void>((resolve) => server!.once('exit', () => resolve()))
    for (let tries = 0; ; tries++) {
      if ((await cli('PING').catch(() => '')) === 'PONG') return
      if (server.exitCode !== null || tries > 200) throw new Error(`redis-server ${args.join(' ')} did not start`)
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 25))])
    }
  }
  const stop = async (signal?: NodeJS.Signals) => {
    const running = server
    if (!running || running.exitCode !== null) return
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()))
    if (signal) running.kill(signal)
    else await cli('SHUTDOWN').catch(() => running.kill('SIGTERM'))
    await exited
  }
  await start()
  const credentials = options.password ? `:${encodeURIComponent(options.password)}@` : ''
  return {
    port,
    url: `${scheme}://${credentials}127.0.0.1:${port}`,
    cli,
    stop,
    // A second server would fail to bind while PING still answered from the first, and stop()
    // would then stop nothing.
    restart: async () => {
      if (server?.exitCode === null && server.signalCode === null) return
      await start()
    },
    async close() {
      await stop('SIGKILL')
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** The `redis-cli` TLS arguments that match a server's `--tls-*` ones. */
function tlsCliArgs(args: string[]): string[] {
  const valueOf = (name: string) => args[args.indexOf(name) + 1]!
  return ['--cacert', valueOf('--tls-ca-cert-file')]
}

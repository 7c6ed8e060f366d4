import { spawn } from 'node:child_process'
import type { ChildProcessByStdio } from 'node:child_process'
import type { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import type { RuntimeServer } from './runtime.ts'

/** The repository root: runtimes run from here, so `edgepod` resolves to this package. */
export const root = fileURLToPath(new URL('../../..', import.meta.url))

/** Options of {@link spawnServer}. */
export interface SpawnServerOptions {
  /** What the command prints once it serves, with the URL as the first group. */
  ready: RegExp
  env?: Record<string, string>
  /** @default 30_000 */
  startTimeout?: number
  /** @default the repository root */
  cwd?: string
  /**
   * Run it as the leader of its own process group, and stop the whole group: for a command that
   * serves from a child of its own (`npx`, `npm start`), which a signal to it alone would orphan.
   */
  group?: boolean
}

/** A server {@link spawnServer} started: its process, and what it printed so far. */
export interface SpawnedServer extends RuntimeServer {
  readonly pid: number
  /** Everything it printed on stdout and stderr, interleaved, from its start. */
  output(): string
  /** Sends it a signal (SIGKILL, SIGSTOP, SIGCONT). */
  signal(signal: NodeJS.Signals): void
  /** Resolves when its process has exited, however. */
  readonly exited: Promise<void>
}

/**
 * Spawns a runtime and resolves once it prints a URL matching `ready` (on stdout or stderr), with
 * the URL rewritten to 127.0.0.1. Rejects with everything it printed if it exits or takes longer
 * than `startTimeout`.
 */
export function spawnServer(command: string, args: string[], options: SpawnServerOptions): Promise<SpawnedServer> {
  const spawnOptions = { cwd: options.cwd ?? root, env: { ...process.env, NO_COLOR: '1', ...options.env } }
  let child: ChildProcessByStdio<null, Readable, Readable>
  let stopChild: () => Promise<void>
  if (options.group) {
    ;({ child, stop: stopChild } = spawnGroup(command, args, spawnOptions))
  } else {
    const own = spawn(command, args, { ...spawnOptions, stdio: ['ignore', 'pipe', 'pipe'] })
    const exited = new Promise<void>((resolve) => own.once('exit', () => resolve()))
    child = own
    stopChild = async () => {
      own.kill('SIGTERM')
      const forced = setTimeout(() => own.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(forced)
    }
  }
  let output = ''
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer)
      void stopChild().finally(() => reject(new Error(`${command} ${args.join(' ')}: ${why}\n${output}`)))
    }
    const timer = setTimeout(() => fail('did not print its URL in time'), options.startTimeout ?? 30_000)
    const onEarlyExit = (code: number | null) => fail(`exited with ${code} before it was ready`)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = options.ready.exec(output)
      if (!match?.[1]) return
      clearTimeout(timer)
      child.off('exit', onEarlyExit)
      child.stdout.off('data', onData)
      child.stderr.off('data', onData)
      // Keep reading the pipes, so a chatty runtime never blocks on a full one; with
      // EDGEPOD_RUNTIME_LOG=1 what it prints goes to this process's stderr too.
      const name = command.split('/').pop()
      const keep = (chunk: Buffer) => {
        output += chunk.toString()
        if (process.env.EDGEPOD_RUNTIME_LOG) process.stderr.write(`[${name}] ${chunk.toString()}`)
      }
      child.stdout.on('data', keep)
      child.stderr.on('data', keep)
      const url = new URL(match[1])
      url.hostname = '127.0.0.1'
      const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((done) => child.once('exit', () => done()))
      resolve({
        url: url.origin,
        pid: child.pid!,
        output: () => output,
        signal: (signal) => void child.kill(signal),
        exited,
        stop: stopChild,
      })
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.once('exit', onEarlyExit)
  })
}

/** A process leading its own group, and `stop()`, which takes the whole group down. */
export interface ProcessGroup {
  child: ChildProcessByStdio<null, Readable, Readable>
  stop(): Promise<void>
}

/**
 * Spawns `command` as the leader of its own process group, so that `stop()` also ends what it
 * started (workerd under wrangler or Miniflare, esbuild), even if the leader dies first: SIGTERM
 * to the group, SIGKILL after 5 s, and SIGKILL once more for children that outlived the leader.
 */
export function spawnGroup(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): ProcessGroup {
  const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<void>((done) => child.once('exit', () => done()))
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal)
    } catch {
      // The group is already gone.
    }
  }
  // A detached group outlives a process that ends without calling stop(): kill it on 'exit'. That
  // covers scripts; vitest ends its workers without 'exit', so tests must stop() in afterAll.
  const onExit = () => signalGroup('SIGKILL')
  process.once('exit', onExit)
  return {
    child,
    async stop() {
      process.off('exit', onExit)
      signalGroup('SIGTERM')
      const forced = setTimeout(() => signalGroup('SIGKILL'), 5_000)
      await exited
      clearTimeout(forced)
      signalGroup('SIGKILL')
    },
  }
}

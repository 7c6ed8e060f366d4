import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { RuntimeServer } from './runtime.ts'

/** The repository root: runtimes run from here, so `edgepod` resolves to this package. */
export const root = fileURLToPath(new URL('../../..', import.meta.url))

/**
 * Spawns a runtime and resolves once it prints a URL matching `ready` (on stdout or stderr), with
 * the URL rewritten to 127.0.0.1. Rejects with everything it printed if it exits or takes longer
 * than `startTimeout`.
 */
export function spawnServer(
  command: string,
  args: string[],
  options: { ready: RegExp; env?: Record<string, string>; startTimeout?: number }
): Promise<RuntimeServer> {
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(new Error(`${command} ${args.join(' ')}: ${why}\n${output}`))
    }
    const timer = setTimeout(() => fail('did not print its URL in time'), options.startTimeout ?? 30_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = options.ready.exec(output)
      if (!match?.[1]) return
      clearTimeout(timer)
      child.stdout.off('data', onData)
      child.stderr.off('data', onData)
      // Keep draining the pipes so a chatty runtime never blocks on a full one.
      child.stdout.resume()
      child.stderr.resume()
      const url = new URL(match[1])
      url.hostname = '127.0.0.1'
      resolve({
        url: url.origin,
        stop: async () => {
          child.kill('SIGTERM')
          const forced = setTimeout(() => child.kill('SIGKILL'), 5_000)
          await exited
          clearTimeout(forced)
        },
      })
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.once('exit', (code) => fail(`exited with ${code} before it was ready`))
  })
}

/**
 * Starts one variant on one runtime as its own process group, and stops it.
 * @module
 */
import { once } from 'node:events'
import { root, spawnGroup } from '../../test/conformance/runtimes/spawn-server.ts'
import type { VariantName } from '../hosts/load-variant.ts'
import type { FleetContext } from './fleet.ts'

/** The runtimes the benchmark runs on. */
export const runtimeNames = ['node', 'bun', 'deno', 'workerd'] as const

/** One of {@link runtimeNames}. */
export type RuntimeName = (typeof runtimeNames)[number]

/** A variant being served: its URL, the pid at the root of its process tree, and `stop()`. */
export interface BenchServer {
  url: string
  pid: number
  /** The other processes of a fleet (`edgepod-redis`), and its Redis. */
  fleet?: FleetContext
  stop(): Promise<void>
}

const bin = (name: string) => `${root}node_modules/.bin/${name}`

function commandOf(runtime: RuntimeName, variant: VariantName): [string, string[]] {
  switch (runtime) {
    case 'node':
      return [process.execPath, ['--import', 'tsx', 'bench/hosts/node.ts', variant]]
    case 'bun':
      return [bin('bun'), ['bench/hosts/bun.ts', variant]]
    case 'deno':
      return [bin('deno'), ['run', '-A', 'bench/hosts/deno.ts', variant]]
    case 'workerd':
      return [process.execPath, ['--import', 'tsx', 'bench/hosts/workerd.ts', variant]]
  }
}

/**
 * Serves `variant` on `runtime`; resolves once it prints its URL. `env` is added to this process's
 * environment for this server only (the baseline's sources, for `edgepod-baseline`).
 */
export function launch(runtime: RuntimeName, variant: VariantName, env: NodeJS.ProcessEnv = {}): Promise<BenchServer> {
  const [command, args] = commandOf(runtime, variant)
  return launchServer(`${runtime}/${variant}`, command, args, env)
}

/**
 * Runs a server command (from the repository root) as its own process group; resolves once it
 * prints `listening on <url>`. Its stderr goes on being shown, prefixed with `name`.
 */
export async function launchServer(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<BenchServer> {
  // Its own group, so stop() takes down what the host started (workerd under Miniflare).
  const { child, stop } = spawnGroup(command, args, {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1', CLOUDFLARE_CF_FETCH_ENABLED: 'false', ...env },
  })
  const exited = once(child, 'exit')
  let output = ''
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${output}`)), 60_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /listening on (http:\/\/[^\s/]+)/.exec(output)
      if (!match) return
      clearTimeout(timer)
      resolve(match[1]!)
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    void exited.then(([code]) => reject(new Error(`${name} exited with ${code}:\n${output}`)))
  }).catch(async (error: unknown) => {
    await stop()
    throw error
  })
  // Keep draining, but keep what a crashing server says.
  child.stdout.on('data', () => {})
  child.stderr.on('data', (chunk: Buffer) => process.stderr.write(`[${name}] ${chunk}`))
  return { url, pid: child.pid!, stop }
}

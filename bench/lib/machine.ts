/**
 * What the benchmark ran on: the machine and every runtime's version, for the report's header.
 * @module
 */
import { execFileSync } from 'node:child_process'
import { cpus, loadavg, release, totalmem } from 'node:os'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))

function versionOf(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { cwd: root, encoding: 'utf8' }).trim().split('\n')[0]!
  } catch {
    return 'unavailable'
  }
}

const packageVersion = (name: string) =>
  (JSON.parse(readFileSync(`${root}node_modules/${name}/package.json`, 'utf8')) as { version: string }).version

/** The machine and versions, as lines of text. */
export function describeMachine(): Record<string, string> {
  return {
    cpu: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    kernel: `Linux ${release()}`,
    node: process.version,
    bun: versionOf(`${root}node_modules/.bin/bun`, ['--version']),
    deno: versionOf(`${root}node_modules/.bin/deno`, ['--version']),
    workerd: `miniflare ${packageVersion('miniflare')}, ${versionOf(`${root}node_modules/.bin/workerd`, ['--version'])}`,
    hono: packageVersion('hono'),
    '@hono/node-server': packageVersion('@hono/node-server'),
    autocannon: packageVersion('autocannon'),
    'load average at start': loadavg().map((load) => load.toFixed(2)).join(' '),
  }
}

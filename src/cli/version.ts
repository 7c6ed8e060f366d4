/**
 * `edgepod --version`.
 * @module
 */
import { readFileSync } from 'node:fs'

/** The version of the installed edgepod package, from its package.json (two levels above src/cli and dist/cli). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

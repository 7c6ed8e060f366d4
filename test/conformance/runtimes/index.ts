import { node } from './node.ts'
import type { Launcher } from './runtime.ts'

/** Every runtime edgepod claims, by name. */
export const runtimes = { node } satisfies Record<string, Launcher>

/** The name of a claimed runtime. */
export type RuntimeName = 'node' | 'bun' | 'deno' | 'workerd'

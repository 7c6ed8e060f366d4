import { bun } from './bun.ts'
import { deno } from './deno.ts'
import { fleet } from './fleet.ts'
import { node } from './node.ts'
import type { Launcher } from './runtime.ts'
import { workerd, workerdDurableObject } from './workerd.ts'

/** Every runtime edgepod claims, by name. */
export const runtimes = { node, bun, deno, workerd, 'workerd-do': workerdDurableObject, fleet } satisfies Record<string, Launcher>

/** The name of a claimed runtime. */
export type RuntimeName = keyof typeof runtimes

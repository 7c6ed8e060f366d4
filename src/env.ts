/**
 * edgepod's own settings from the environment (`EDGEPOD_API_KEY`, `EDGEPOD_WEBHOOK_SECRET`).
 * @module
 */

/**
 * The string `name` from the runtime's bindings (`env` on Workers, what an adapter passes), else
 * from the process environment. The fallback matters: a plain `export default worker` on Bun or
 * Deno receives the server or connection info as its second argument, not the environment, and
 * a key set in the environment must never be silently ignored.
 */
export function envString(env: unknown, name: string): string | undefined {
  const bound = (env as Record<string, unknown> | null | undefined)?.[name]
  if (typeof bound === 'string') return bound || undefined
  try {
    const value = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name]
    return value || undefined
  } catch {
    // Deno without --allow-env throws here: then there is no such setting.
    return undefined
  }
}

/**
 * Which runtime the core runs on, where it must know: the one test of workerd, for the deadlines
 * (a timer dies there with its request), a refreshing process (there is none to exit) and a worker
 * file run by itself (never, there).
 * @module
 */

/** True on Cloudflare's workerd (Workers, and Miniflare or `wrangler dev` locally). */
export function onWorkerd(): boolean {
  return (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent === 'Cloudflare-Workers'
}

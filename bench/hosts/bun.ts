/**
 * The Bun host: `bun bench/hosts/bun.ts <variant>` serves the variant with `Bun.serve` on
 * 127.0.0.1, a free port, and prints `listening on <url>`.
 * @module
 */
import { loadVariant } from './load-variant.ts'

declare const Bun: {
  serve(options: {
    port: number
    hostname: string
    idleTimeout: number
    fetch(request: Request): Response | Promise<Response>
  }): { port: number }
}

const worker = await loadVariant(process.argv[2])
// idleTimeout 0: Bun cuts a response that has been silent for 10 s by default.
const server = Bun.serve({ port: 0, hostname: '127.0.0.1', idleTimeout: 0, fetch: (request) => worker.fetch(request) })
console.log(`listening on http://127.0.0.1:${server.port}`)

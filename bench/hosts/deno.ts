/**
 * The Deno host: `deno run -A bench/hosts/deno.ts <variant>` serves the variant with `Deno.serve`
 * on 127.0.0.1, a free port, and prints `listening on <url>`.
 * @module
 */
import { loadVariant } from './load-variant.ts'

declare const Deno: {
  args: string[]
  serve(
    options: { port: number; hostname: string; onListen(address: { port: number }): void },
    handler: (request: Request) => Response | Promise<Response>
  ): unknown
}

const worker = await loadVariant(Deno.args[0])
Deno.serve(
  { port: 0, hostname: '127.0.0.1', onListen: ({ port }) => console.log(`listening on http://127.0.0.1:${port}`) },
  (request) => worker.fetch(request)
)

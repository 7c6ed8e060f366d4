/**
 * The Node host: `node --import tsx bench/hosts/node.ts <variant>` serves the variant with
 * `@hono/node-server` on 127.0.0.1, a free port, and prints `listening on <url>`.
 * @module
 */
import { serve } from '@hono/node-server'
import type { AddressInfo } from 'node:net'
import { loadVariant } from './load-variant.ts'

const worker = await loadVariant(process.argv[2])
serve(
  {
    fetch: (request: Request) => worker.fetch(request),
    port: 0,
    hostname: '127.0.0.1',
    // Streams are long-lived: Node's default 5-minute request timeout must not cut one.
    serverOptions: { requestTimeout: 0 },
  },
  (info: AddressInfo) => console.log(`listening on http://127.0.0.1:${info.port}`)
)

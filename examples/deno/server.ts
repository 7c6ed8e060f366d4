// `deno run --allow-net --allow-env examples/deno/server.ts`: the worker of worker.ts on
// http://127.0.0.1:8000 (or $PORT), served by edgepod's Deno adapter.
import { serve } from 'edgepod/deno'
import { worker } from './worker.ts'

const server = await serve(worker, { port: Number(process.env['PORT'] ?? 8000) })
console.log(`edgepod on deno at ${server.url}`)

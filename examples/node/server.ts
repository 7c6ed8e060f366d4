// The worker served by a plain @hono/node-server entry, for apps that own their Node server.
import { serve } from '@hono/node-server'
import worker from '../tokens.ts'

serve({ fetch: (request) => worker.fetch(request, process.env), port: Number(process.env['PORT'] ?? 8000) }, (info) =>
  console.log(`listening on http://127.0.0.1:${info.port}`)
)

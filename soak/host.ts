/**
 * Serves the soak worker on Node (edgepod's adapter, 127.0.0.1, a free port) and prints
 * `listening on <url>`. Run as `node --expose-gc --import tsx soak/host.ts`.
 * @module
 */
import { serve } from '../src/adapter/node/index.ts'
import worker from './worker.ts'

const server = await serve(worker, { port: 0 })
console.log(`listening on ${server.url}`)

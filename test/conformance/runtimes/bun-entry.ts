// Run by the Bun launcher: `bun test/conformance/runtimes/bun-entry.ts <workerFile>` serves the
// worker file's default export with edgepod's Bun adapter on a free port, and prints its URL.
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { serve } from '../../../src/adapter/bun/index.ts'

const file = process.argv[2]
if (!file) throw new Error('usage: bun test/conformance/runtimes/bun-entry.ts <workerFile>')
const { default: worker } = await import(pathToFileURL(resolve(file)).href)
const server = await serve(worker, { port: 0 })
console.log(`edgepod on bun at ${server.url}`)

// A member of a test fleet on Node: `node --conditions=edgepod-source --import tsx
// test/helpers/fleet-member.ts <workerFile>` serves the worker file's default export with
// edgepod/node on a free port and prints its URL. Its store comes from the environment
// (EDGEPOD_REDIS_URL), as a user's would; being one process (unlike `edgepod dev`, a supervisor and
// its child), a signal to it reaches the process running the handlers.
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { serve } from 'edgepod/node'

const file = process.argv[2]
if (!file) throw new Error('usage: node --import tsx test/helpers/fleet-member.ts <workerFile>')
const { default: worker } = await import(pathToFileURL(resolve(file)).href)
const server = await serve(worker, { port: 0 })
console.log(`fleet member ${process.pid} at ${server.url}`)

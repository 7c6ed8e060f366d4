/**
 * One worker process of `edgepod dev`: loads the worker file, reports what it imported, and serves
 * the connections the supervisor hands it until it is retired or the supervisor goes away.
 * @module
 */
import type { Socket } from 'node:net'
import { createNodeServer } from '../adapter/node/http-server.ts'
import { healthPortHandler } from '../adapter/health-port.ts'
import { PLAYGROUND_PATH, playgroundPathFor, withPlayground } from '../playground/index.ts'
import type { DevWorkerOptions, SupervisorMessage, WorkerProcessMessage } from './dev-messages.ts'
import { recordImports } from './imports.ts'
import { loadWorker } from './load-worker.ts'
import { onStopSignal } from './signals.ts'

/**
 * How long a retired process lets the requests under way finish: a short job ends, a stream of the
 * old version is cut (the reload lost its jobs anyway; a client resumes on the new version).
 */
const RETIRE_GRACE_MS = 2_000

/** Runs a worker process (its stdio is the supervisor's); resolves to its exit code. */
export async function serveDevWorker(options: DevWorkerOptions): Promise<number> {
  const sent: Array<Promise<void>> = []
  const send = (message: WorkerProcessMessage) =>
    sent.push(new Promise<void>((done) => process.send?.(message, undefined, undefined, () => done())))
  // Ctrl-C reaches the whole process group: stopping is the supervisor's decision.
  onStopSignal(() => {})
  recordImports().onFile((file) => send({ type: 'imported', file }))

  let worker
  try {
    worker = await loadWorker(options.file)
  } catch (error) {
    // The supervisor must know every file the failed load touched, to reload when one is fixed.
    await Promise.all(sent)
    throw error
  }
  const handler = options.playground ? withPlayground(worker) : worker
  const server = createNodeServer(handler, process.env)
  // RunPod's health port (PORT_HEALTH) serves `/ping` alone; its connections are this process's too.
  const healthServer = createNodeServer(healthPortHandler(worker), process.env)
  // Sockets of this process, each with the number of its requests under way. (A server that never
  // listened does not track its connections: `closeIdleConnections()` would find none.)
  const sockets = new Map<Socket, number>()
  let retiring = false
  server.on('request', (request, response) => {
    const socket = request.socket
    sockets.set(socket, (sockets.get(socket) ?? 0) + 1)
    // Keep-alive connections of a retired version close after their answer: the next request opens
    // a new connection, which goes to the new version.
    if (retiring) response.shouldKeepAlive = false
    response.once('close', () => {
      if (sockets.has(socket)) sockets.set(socket, sockets.get(socket)! - 1)
    })
  })
  const closeIdle = () => {
    for (const [socket, busy] of sockets) if (busy === 0) socket.destroy()
  }
  const closeAll = () => {
    for (const socket of sockets.keys()) socket.destroy()
  }

  const done = new Promise<number>((resolve) => {
    const exitOnceIdle = () => {
      if (retiring && sockets.size === 0) resolve(0)
    }
    const retire = () => {
      if (retiring) return
      retiring = true
      closeIdle()
      setTimeout(() => (closeAll(), resolve(0)), RETIRE_GRACE_MS).unref()
      exitOnceIdle()
    }
    process.on('message', (message: SupervisorMessage, handle?: unknown) => {
      if (message.type === 'retire') return retire()
      if (message.type !== 'connection' || handle === undefined) return
      const socket = handle as Socket
      sockets.set(socket, 0)
      socket.once('close', () => {
        sockets.delete(socket)
        exitOnceIdle()
      })
      ;(message.health ? healthServer : server).emit('connection', socket)
      socket.resume()
    })
    // The supervisor is gone (killed, or it exited): nothing will hand this process work again.
    process.once('disconnect', () => (closeAll(), resolve(0)))
  })

  const playgroundPath = options.playground
    ? await playgroundPathFor(worker, options.url, process.env).catch(() => PLAYGROUND_PATH)
    : undefined
  send({ type: 'ready', playgroundPath })
  return done
}

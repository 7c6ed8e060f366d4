/**
 * `edgepod dev`: serves a worker file on Node, with the playground page beside it, and reloads it
 * when the file or anything it imports changes, on the same port, until Ctrl-C.
 *
 * This process only holds the port. Each version of the worker runs in a worker process of its own
 * (a fresh module graph, as a restart gives): accepted connections are handed to the newest one that
 * loaded, and the one before finishes what it was serving. A version that fails to load leaves the
 * last good one serving.
 * @module
 */
import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { statSync } from 'node:fs'
import { createServer } from 'node:net'
import type { AddressInfo, Server, Socket } from 'node:net'
import { relative, resolve } from 'node:path'
import type { DevCommand } from './args.ts'
import { CliError } from './cli-error.ts'
import { DEV_WORKER_COMMAND } from './dev-messages.ts'
import type { DevWorkerOptions, SupervisorMessage, WorkerProcessMessage } from './dev-messages.ts'
import { watchFiles } from './file-watcher.ts'
import { stopSignal } from './signals.ts'

/** How long a stopping worker process may take before it is killed, ms. */
const STOP_TIMEOUT_MS = 5_000

/** Serves `command.file` until SIGINT or SIGTERM; resolves to the exit code. */
export async function dev(command: DevCommand): Promise<number> {
  if (!statSync(command.file, { throwIfNoEntry: false })?.isFile()) throw new CliError(`no such file: ${command.file}`)
  const server = await listen(command, command.port)
  const { port } = server.address() as AddressInfo
  const healthServer = command.healthPort === undefined ? undefined : await listen(command, command.healthPort, 'PORT_HEALTH')
  const host = command.host ?? '127.0.0.1'
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  const workerOptions: DevWorkerOptions = { file: command.file, url, playground: command.playground }

  let serving: ChildProcess | undefined
  let loading: ChildProcess | undefined
  let stopping = false
  const watcher = watchFiles((changed) => {
    const names = changed.map((path) => relative(process.cwd(), path)).join(', ')
    console.log(`edgepod: ${names} changed, reloading`)
    start()
  })
  watcher.set([resolve(command.file)])

  function start() {
    // A change while a version loads makes that version stale: load the newest one instead.
    loading?.kill('SIGKILL')
    const child = fork(process.argv[1]!, [DEV_WORKER_COMMAND, JSON.stringify(workerOptions)], { stdio: 'inherit' })
    loading = child
    const files = new Set([resolve(command.file)])
    child.on('message', (message: WorkerProcessMessage) => {
      if (message.type === 'imported') {
        files.add(message.file)
        // Watched at once: a load that fails on this file reloads once it is fixed.
        watcher.add(message.file)
      } else if (message.type === 'ready' && child === loading) {
        loading = undefined
        const previous = serving
        serving = child
        // Only what this version imports is watched: an import removed is a file that no longer matters.
        watcher.set(files)
        if (previous) {
          send(previous, { type: 'retire' })
          console.log(`edgepod: reloaded ${command.file}`)
        } else {
          console.log(`edgepod: serving ${command.file} at ${url}`)
          if (message.playgroundPath !== undefined) console.log(`edgepod: playground at ${url}${message.playgroundPath}`)
        }
      }
    })
    child.on('exit', (code, signal) => {
      if (stopping) return
      if (child === loading) {
        loading = undefined
        // A killed load was replaced by a newer one; a failed one printed its error.
        if (signal !== 'SIGKILL') {
          console.error(
            serving
              ? `edgepod: still serving the last version that loaded; save a fix to reload`
              : `edgepod: nothing to serve at ${url} until ${command.file} loads; save a fix to reload`
          )
        }
      } else if (child === serving) {
        serving = undefined
        console.error(`edgepod: the worker process exited (${signal ?? code}); starting it again`)
        start()
      }
    })
  }

  const handOver = (health: boolean) => (socket: Socket) => {
    if (serving?.connected) send(serving, { type: 'connection', health }, socket)
    else unavailable(socket, command.file)
  }
  server.on('connection', handOver(false))
  healthServer?.on('connection', handOver(true))
  if (healthServer) console.log(`edgepod: GET /ping also at port ${(healthServer.address() as AddressInfo).port} (PORT_HEALTH)`)
  start()

  await stopSignal()
  stopping = true
  console.error('edgepod: stopping')
  watcher.close()
  server.close()
  healthServer?.close()
  await Promise.all([serving, loading].map((child) => child && stopChild(child)))
  return 0
}

/**
 * Listens on `port` and the command's host; connections arrive paused, to be read by a worker
 * process. `option` is what set the port, for the error when it is in use.
 */
function listen(command: DevCommand, port: number, option = '--port'): Promise<Server> {
  const server = createServer({ pauseOnConnect: true })
  return new Promise((ready, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(new CliError(`port ${port} is in use; pick another with ${option}`, { exitCode: 1 }))
      else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') {
        reject(new CliError(`cannot listen on host ${JSON.stringify(command.host)}: ${error.code}`, { exitCode: 1 }))
      } else reject(error)
    })
    server.listen(port, command.host ?? '127.0.0.1', () => ready(server))
  })
}

function send(child: ChildProcess, message: SupervisorMessage, socket?: Socket): void {
  // A child that died between the check and the send: the socket is closed by Node, the next reload replaces it.
  child.send(message, socket, undefined, () => {})
}

/** The answer while no version of the worker has loaded: 503, with what to do. */
function unavailable(socket: Socket, file: string): void {
  const body = `edgepod dev: ${file} did not load (the error is in the terminal); it reloads when you save a fix.\n`
  socket.on('error', () => {})
  // Read (and drop) the request: closing with it unread would reset the connection under the answer.
  socket.resume()
  socket.end(
    `HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  )
}

/** Disconnects a worker process, which then closes its connections and exits; kills it if it takes too long. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((done) => child.once('exit', () => done()))
  if (child.connected) child.disconnect()
  else child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
  await exited
  clearTimeout(timer)
}

/**
 * Servers on port 0 for the pain-point tests: a worker served by edgepod's Node adapter, or a plain
 * Node HTTP server (a proxy, a host, a receiver). Each is closed by {@link closeAll}, which the
 * test file runs in its afterAll, along with anything else a test pushes onto {@link closers}.
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '../../../src/adapter/node/index.ts'
import type { FetchHandler, NodeServer } from '../../../src/adapter/node/index.ts'

/** Everything the test file listens on, stopped by {@link closeAll}. */
export const closers: Array<() => Promise<void>> = []

/** Stops everything in {@link closers}, for afterAll. */
export async function closeAll(): Promise<void> {
  await Promise.all(closers.splice(0).map((close) => close()))
}

/** Serves `worker` with edgepod's Node adapter on port 0, until {@link closeAll}. */
export async function listen(worker: FetchHandler): Promise<NodeServer> {
  const server = await serve(worker, { port: 0 })
  closers.push(() => server.close())
  return server
}

/** Listens with a plain Node HTTP server (a proxy, a host, a receiver) and returns its URL. */
export async function listenHttp(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
  )
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

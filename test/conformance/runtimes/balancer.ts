/**
 * A test load balancer in front of a fleet: each request goes to a member picked at random, its
 * body and answer streamed through both ways, and a client that goes away takes its request to the
 * member with it. The suite's `/_probe/:tag` (what a handler's process saw) is asked of every member
 * and merged: the handler ran on one of them, the test cannot know which.
 */
import { createServer, request as httpRequest } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A running balancer: its URL, and `close()`. */
export interface Balancer {
  readonly url: string
  close(): Promise<void>
}

/** Serves a balancer over `members` (their origins) on a free loopback port. */
export async function startBalancer(members: readonly string[]): Promise<Balancer> {
  const server = createServer((incoming, outgoing) => {
    if (incoming.url?.startsWith('/_probe/')) void mergedProbe(members, incoming.url, outgoing)
    else forward(members[Math.floor(Math.random() * members.length)]!, incoming, outgoing)
  })
  // Streams stay open for as long as their jobs run.
  server.requestTimeout = 0
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

function forward(member: string, incoming: IncomingMessage, outgoing: ServerResponse): void {
  const target = new URL(incoming.url ?? '/', member)
  const upstream = httpRequest(target, { method: incoming.method, headers: { ...incoming.headers, host: target.host } }, (answer) => {
    outgoing.writeHead(answer.statusCode ?? 502, answer.headers)
    answer.pipe(outgoing)
  })
  upstream.on('error', () => outgoing.destroy())
  // The client left: so does the request to the member, which sees its reader go.
  outgoing.on('close', () => upstream.destroy())
  incoming.pipe(upstream)
}

async function mergedProbe(members: readonly string[], path: string, outgoing: ServerResponse): Promise<void> {
  const probes = await Promise.all(members.map(async (member) => (await fetch(new URL(path, member))).json() as Promise<object>))
  outgoing.writeHead(200, { 'content-type': 'application/json' })
  outgoing.end(JSON.stringify(Object.assign({}, ...probes)))
}

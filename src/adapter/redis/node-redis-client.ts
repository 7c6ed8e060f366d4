/**
 * The Redis store's client over node-redis (`@redis/client`, an optional peer dependency): it works
 * unchanged on Node, Bun and Deno, is maintained by Redis itself, and has no dependencies. This is
 * the only file that knows the library; another one needs only `RedisClient` (store/redis).
 *
 * Settings that make an unreachable Redis a prompt error rather than a wait: commands are not
 * queued while the connection is down, a connection silent past its timeout is dropped (a ping
 * keeps a quiet one talking), and reconnection goes on by itself, from 50 ms to 500 ms apart.
 * @module
 */
import { createClient, ErrorReply } from '@redis/client'
import { storeUnavailable } from '../../errors.ts'
import type { RedisClient, RedisReply, RedisScript } from '../../store/redis/redis-client.ts'

/** How long Redis may take to answer before its connection is taken for dead, ms. */
const SOCKET_TIMEOUT_MS = 2_000
/** How often a quiet connection pings, so that the timeout above only catches a Redis that hangs. */
const PING_INTERVAL_MS = 500
/**
 * How long a command waits for a connection that is being made (at start-up, or back from a
 * dropped one) before it fails, ms: long enough for a reconnection, short enough to answer 503.
 */
const CONNECTING_WAIT_MS = 1_000

/** A node-redis client, as `createClient` makes it (any modules, RESP 2 or 3). */
export type NodeRedisClient = ReturnType<typeof createClient>

/** Options of {@link nodeRedisClient}. */
export interface NodeRedisOptions {
  /** `redis://` or `rediss://` (TLS), with a user and password if Redis wants them. */
  url: string
  /** PEM certificates to trust for `rediss://`, beyond the system's (a self-hosted Redis's CA). */
  ca?: string | undefined
}

/**
 * Replies Redis gives while it cannot serve, which a client should take as "not now": it is loading
 * its data after a restart, a script is hogging it, or a replica lost its master.
 */
const UNAVAILABLE_REPLIES = /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN)\b/

/** Replies of a Redis that wants other credentials than the URL's. */
const REFUSED_CREDENTIALS = /^(NOAUTH|WRONGPASS)\b/

/** The URL without its credentials, for messages: they must never be printed. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url)
    parsed.username = ''
    parsed.password = ''
    return parsed.href
  } catch {
    return 'a Redis URL that does not parse'
  }
}

/** Connects to Redis at `options.url` (in the background: until it is up, commands fail at once). */
export function nodeRedisClient(options: NodeRedisOptions): RedisClient {
  const client = createClient({
    url: options.url,
    RESP: 2,
    disableOfflineQueue: true,
    pingInterval: PING_INTERVAL_MS,
    socket: {
      connectTimeout: SOCKET_TIMEOUT_MS,
      socketTimeout: SOCKET_TIMEOUT_MS,
      reconnectStrategy: (retries: number) => Math.min(50 * (retries + 1), 500),
      ...(options.ca === undefined ? {} : { ca: options.ca }),
    },
  }) as unknown as NodeRedisClient
  return overNodeRedis(client, redactedUrl(options.url))
}

/**
 * The store's client over a node-redis client made elsewhere (`where` names it in messages). Its
 * subscription runs on a duplicate of it. The client is connected here if it is not yet.
 */
export function overNodeRedis(client: NodeRedisClient, where = 'Redis'): RedisClient {
  let lastLogged = 0
  /** Why the connection is down (a refused connection, a certificate): said in every 503 meanwhile. */
  let whyDown: string | undefined
  const logError = (error: Error) => {
    whyDown = error.message
    // Every reconnection attempt fails alike while Redis is down: one line a minute says it.
    if (Date.now() - lastLogged < 60_000) return
    lastLogged = Date.now()
    console.error(`edgepod: ${where} is unreachable (${error.message}); retrying`)
  }
  client.on('error', logError)
  client.on('ready', () => (whyDown = undefined))
  if (!client.isOpen) client.connect().catch(() => {})
  const unavailable = (error: unknown): never => {
    if (error instanceof ErrorReply && REFUSED_CREDENTIALS.test(error.message)) {
      throw storeUnavailable(`Redis refused the credentials of ${where} (${error.message})`, error)
    }
    if (error instanceof ErrorReply && !UNAVAILABLE_REPLIES.test(error.message)) throw error
    throw storeUnavailable(`the job store (${where}) is unavailable: ${whyDown ?? (error as Error).message}`, error)
  }
  const connected = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer)
        client.off('ready', done)
        resolve()
      }
      const timer = setTimeout(done, CONNECTING_WAIT_MS)
      client.on('ready', done)
    })
  const send = async (args: string[]) => {
    if (!client.isReady) await connected()
    return client.sendCommand(args).catch(unavailable) as unknown as Promise<RedisReply>
  }
  const shas = new Map<RedisScript, Promise<string>>()
  const shaOf = (script: RedisScript) => {
    let sha = shas.get(script)
    if (!sha) {
      sha = send(['SCRIPT', 'LOAD', script.lua]) as Promise<string>
      shas.set(script, sha)
      // A load that failed (Redis down) is tried again next time.
      sha.catch(() => shas.delete(script))
    }
    return sha
  }
  let subscriber: NodeRedisClient | undefined

  return {
    async run(script, args) {
      const strings = args.map(String)
      const call = async () => send(['EVALSHA', await shaOf(script), String(script.keys), ...strings])
      try {
        return await call()
      } catch (error) {
        // Redis restarted, or its script cache was flushed: load the script again, once.
        if (!(error instanceof ErrorReply) || !error.message.startsWith('NOSCRIPT')) throw error
        shas.delete(script)
        return call()
      }
    },
    command: (name, args) => send([name, ...args.map(String)]),
    async subscribe(channel, onMessage, onReconnect) {
      // Its SUBSCRIBE waits for the connection: a member started while Redis is down subscribes
      // once it is up, and node-redis subscribes again after every reconnection.
      subscriber ??= client.duplicate({ disableOfflineQueue: false }) as NodeRedisClient
      subscriber.on('error', logError)
      let connected = false
      subscriber.on('ready', () => {
        // What was published while the connection was down is lost.
        if (connected) onReconnect()
        connected = true
      })
      if (!subscriber.isOpen) subscriber.connect().catch(() => {})
      // Refused credentials reject it: the store does not open, and says why.
      const subscribed = subscriber.subscribe(channel, (message: string) => onMessage(message)).catch(unavailable)
      subscribed.catch(() => {})
      // Waited for a while only: a member whose Redis is down starts all the same, answering 503.
      await Promise.race([subscribed, new Promise((resolve) => setTimeout(resolve, SOCKET_TIMEOUT_MS).unref?.())])
    },
    async close() {
      // A client that never connected (Redis down, a certificate refused) is destroyed: closing
      // it would wait for a connection that may never come.
      const end = (each: NodeRedisClient) => (each.isReady ? each.close().catch(() => each.destroy()) : each.destroy())
      await Promise.all([subscriber, client].map((each) => each && (each.isOpen ? end(each) : undefined)))
    },
  }
}

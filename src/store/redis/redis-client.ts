/**
 * What the Redis store needs of a Redis client: scripts, plain commands, and one subscription.
 * `src/adapter/redis/` implements it over a client library; another library (or a test double)
 * needs only this. Every method rejects with a `store_unavailable` {@link WorkerError} when Redis
 * cannot be reached, promptly, never after an unbounded wait.
 * @module
 */

/** A Lua script, run by its SHA1 once Redis knows it (loaded again after a restart). */
export interface RedisScript {
  /** For errors and logs. */
  readonly name: string
  /** How many of a call's arguments are keys. */
  readonly keys: number
  readonly lua: string
}

/** A Redis reply: strings, integers, arrays of them, or null. */
export type RedisReply = string | number | null | RedisReply[]

/** One connection for commands and scripts, one for a subscription, whatever the library. */
export interface RedisClient {
  /** Runs `script` with `args` (its keys first); answers its reply. */
  run(script: RedisScript, args: ReadonlyArray<string | number>): Promise<RedisReply>
  /** Sends one command; answers its reply. */
  command(name: string, args: ReadonlyArray<string | number>): Promise<RedisReply>
  /**
   * Subscribes to `channel` on the subscription connection; `onMessage` gets each message. The
   * subscription outlives reconnections, and `onReconnect` is called after each one: messages
   * published meanwhile are lost, and whoever relies on them must look again.
   */
  subscribe(channel: string, onMessage: (message: string) => void, onReconnect: () => void): Promise<void>
  /** Closes both connections. */
  close(): Promise<void>
}

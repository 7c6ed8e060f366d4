/** A worker served by one runtime in a child process, for the conformance suite. */
export interface RuntimeServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  /** Stops the runtime and resolves when its process has exited. */
  stop(): Promise<void>
}

/**
 * Starts `workerFile` (a module whose default export has `fetch`) on a runtime, on a free port,
 * with `env` added to its environment.
 */
export type Launcher = (workerFile: string, env?: Record<string, string>) => Promise<RuntimeServer>

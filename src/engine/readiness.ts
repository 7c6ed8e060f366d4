/**
 * Readiness: the worker's optional `setup` (load a model, open a pool) runs once, started by the
 * first request (Workers allow no I/O at start-up), before any job runs. Jobs wait in the queue
 * while it runs; if it fails, every job fails with its error rather than wait for ever, and
 * `/ping` and `/health` say so. One run per setup function and isolate: the Durable Objects of
 * one deployment that share an isolate share it too.
 * @module
 */
import type { ErrorDetail } from '../types.ts'

/** Where the setup stands. */
export type ReadinessState = 'not-started' | 'initializing' | 'ready' | 'failed'

/** One run of a setup function, shared by every engine of the isolate that has it. */
interface SetupRun {
  state: ReadinessState
  done: Promise<void>
  error?: ErrorDetail
}

const runs = new WeakMap<(env: unknown) => unknown, SetupRun>()

/** The readiness of one engine. */
export class Readiness {
  readonly #setup: ((env: unknown) => void | Promise<void>) | undefined

  constructor(setup: ((env: unknown) => void | Promise<void>) | undefined) {
    this.#setup = setup
  }

  /** Where the setup stands; `ready` when there is none. */
  get state(): ReadinessState {
    if (!this.#setup) return 'ready'
    return runs.get(this.#setup)?.state ?? 'not-started'
  }

  /** Why the setup failed, once it has. */
  get error(): ErrorDetail | undefined {
    return this.#setup ? runs.get(this.#setup)?.error : undefined
  }

  /** Starts the setup with `env` if nothing started it yet. */
  start(env: unknown): void {
    const setup = this.#setup
    if (!setup || runs.has(setup)) return
    const run: SetupRun = { state: 'initializing', done: Promise.resolve() }
    runs.set(setup, run)
    run.done = (async () => {
      try {
        await setup(env)
        run.state = 'ready'
      } catch (error) {
        run.state = 'failed'
        const message = error instanceof Error ? error.message : String(error)
        run.error = { type: 'SetupError', message: `setup failed: ${message}`, code: 'setup_failed' }
        console.error('edgepod: the worker’s setup failed; every job will fail with its error', error)
      }
    })()
  }

  /**
   * Settles once no job need wait: undefined at once without a setup or once it has run (either
   * way), else its run. A job submitted without a request (the engine used directly) starts it.
   */
  whenSettled(): Promise<void> | undefined {
    const setup = this.#setup
    if (!setup) return undefined
    if (!runs.has(setup)) this.start(undefined)
    const run = runs.get(setup)!
    return run.state === 'initializing' ? run.done : undefined
  }
}

/**
 * RunPod's `refresh_worker`: after a job whose result asks for it (or after every job, from the
 * config), this process drains and exits, for its supervisor to start a fresh one (a model that
 * leaks memory, a GPU left in a bad state). Draining: nothing new starts here; the jobs under way
 * end as they would, and so do the jobs this process alone holds (an in-memory store's queue),
 * while new submissions to it are refused with 503 `draining`. With a store shared by processes,
 * submissions are still taken: another member runs them.
 * @module
 */
import { DEFAULTS } from '../limits.ts'
import { onWorkerd } from '../runtime.ts'

/** What the refresh needs to see of the process. */
export interface RefreshDeps {
  /** `refresh_worker` in the config: refresh after every job. */
  everyJob: boolean
  /** Ends the process; absent where a worker cannot end itself (Workers), which ignores refreshes. */
  exit: (() => void) | undefined
  /** True when the jobs live in a store shared by processes: another member takes the queue. */
  shared: boolean
  /** True when nothing is left to do here: no job running, none of this process's queued, no reader. */
  idle(): boolean | Promise<boolean>
}

/**
 * The process's refresh: asked for by a job's end, carried out when the process is idle. Exits
 * once, `DEFAULTS.refreshFlush` after the last job: the answers under way (a `/runsync`'s result,
 * the last events of a stream) are written by then.
 */
export class WorkerRefresh {
  readonly #deps: RefreshDeps
  #draining = false
  #exiting = false

  constructor(deps: RefreshDeps) {
    this.#deps = deps
  }

  /** True once a refresh was asked for: nothing new starts here. */
  get draining(): boolean {
    return this.#draining
  }

  /** True when the jobs live in a store shared by processes: another member takes this one's queue. */
  get shared(): boolean {
    return this.#deps.shared
  }

  /** True when this process refuses submissions: it is draining and no other process takes them. */
  get refusesJobs(): boolean {
    return this.#draining && !this.#deps.shared
  }

  /** True when this process claims no more work: it drains, and others take the shared queue. */
  get claimsNothing(): boolean {
    return this.#draining && this.#deps.shared
  }

  /** A job ran to its end here; `asked` when its result asked for a refresh. */
  jobReleased(asked: boolean): void {
    if (this.#deps.exit === undefined) return
    if (!this.#draining && (asked || this.#deps.everyJob)) {
      this.#draining = true
      console.error('edgepod: refresh_worker: draining, then exiting for a fresh process')
    }
    this.check()
  }

  /** Something this process waited for ended: exits if it is draining and nothing is left. */
  check(): void {
    if (!this.#draining || this.#exiting) return
    void Promise.resolve(this.#deps.idle()).then((idle) => {
      if (!idle || this.#exiting) return
      this.#exiting = true
      setTimeout(() => this.#deps.exit?.(), DEFAULTS.refreshFlush)
    })
  }
}

/**
 * How a process ends itself, where it can: Node, Bun and Deno have `process.exit` (looked up, not
 * imported: core code runs on Workers too, where no worker ends itself and a refresh does nothing).
 */
export function processExit(): (() => void) | undefined {
  if (onWorkerd()) return undefined
  const exit = (globalThis as { process?: { exit?: (code?: number) => never } }).process?.exit
  return typeof exit === 'function' ? () => exit(0) : undefined
}

/**
 * Where the soak's loops send their requests: one server, or the members of a fleet, some of which
 * the soak kills on purpose. The loops ask the targets whether a failure is explained by a kill, so
 * that a connection cut by a SIGKILL is resumed elsewhere instead of being counted as a fault.
 * @module
 */

/** The servers a soak runs against. */
export interface Targets {
  /** Where to send a new job. */
  submit(): string
  /** Where to resume, cancel or check a job last reached at `url`: another member, in a fleet. */
  elsewhere(url: string): string
  /** Whether the member at `url` had been killed by `at` (ms since the epoch). */
  killedBy(url: string, at: number): boolean
  /** When the member `workerId` (a status object's) was killed, if it was. */
  killedAt(workerId: string | undefined): number | undefined
}

/** One server, never killed: the soak's single-process mode. */
export function oneServer(url: string): Targets {
  return {
    submit: () => url,
    elsewhere: () => url,
    killedBy: () => false,
    killedAt: () => undefined,
  }
}

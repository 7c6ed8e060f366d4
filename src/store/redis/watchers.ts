/**
 * The readers of this member waiting on jobs' logs and ends. A wait is woken by the doorbell when
 * it rings for its job (a ring says where the log stands: no look is needed), or by a look at every
 * waited-on job together: soon after it starts (the news may be there already; a wait gone by then,
 * as a reader gathering a chunk leaves its own, costs no look), after the subscription reconnects,
 * and every `pollMs`, so that a ring pub/sub dropped costs a reader at most that long.
 * @module
 */

/** One waiting reader: a log reader wakes for an event after `after`; an end waiter only at the end. */
interface Wait {
  readonly wake: () => void
  /** Undefined for an end waiter. */
  readonly after: number | undefined
}

/** Where a job stands, as the store answers: its last seq and status, or undefined when it is gone. */
export interface Position {
  last: number
  ended: boolean
}

/** Answers where each job stands (undefined for one that is gone). */
export type LookUp = (ids: string[]) => Promise<Array<Position | undefined>>

/** The waits of one member. */
export class Watchers {
  readonly #waits = new Map<string, Set<Wait>>()
  readonly #lookUp: LookUp
  readonly #pollMs: number
  #timer: ReturnType<typeof setTimeout> | undefined
  /** Jobs to look at soon, together: new waits, and doorbell rings. */
  #soon: Set<string> | undefined

  constructor(lookUp: LookUp, pollMs: number) {
    this.#lookUp = lookUp
    this.#pollMs = pollMs
  }

  /** Wakes `wake` once when the job's log has an event after `after`, it ends, or it is gone. */
  watch(id: string, after: number, wake: () => void): void {
    this.#add(id, { wake, after })
  }

  /** Stops the log wait of `wake` on the job. */
  unwatch(id: string, wake: () => void): void {
    const waits = this.#waits.get(id)
    if (!waits) return
    for (const wait of waits) if (wait.wake === wake && wait.after !== undefined) waits.delete(wait)
    if (waits.size === 0) this.#waits.delete(id)
  }

  /** Wakes `wake` once when the job's attempt ends or the job is gone; returns the function that stops it. */
  watchEnd(id: string, wake: () => void): () => void {
    const wait: Wait = { wake, after: undefined }
    this.#add(id, wait)
    return () => {
      const waits = this.#waits.get(id)
      waits?.delete(wait)
      if (waits?.size === 0) this.#waits.delete(id)
    }
  }

  /** The doorbell rang for the job: its log grew to `lastSeq`, or (undefined) it ended or is gone. */
  rang(id: string, lastSeq: number | undefined): void {
    this.#settle(id, lastSeq === undefined ? undefined : { last: lastSeq, ended: false })
  }

  /** This member changed the job itself: its waits are answered with what it knows. */
  moved(id: string, position: Position | undefined): void {
    this.#settle(id, position)
  }

  /** Rings may have been missed: look at every waited-on job. */
  lookAgain(): void {
    for (const id of this.#waits.keys()) this.#lookSoon(id)
  }

  /** Stops the timer; the waits stay unanswered. */
  close(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #add(id: string, wait: Wait): void {
    let waits = this.#waits.get(id)
    if (!waits) this.#waits.set(id, (waits = new Set()))
    waits.add(wait)
    this.#lookSoon(id)
    this.#timer ??= this.#later()
  }

  /** The next look at every waited-on job; it never keeps a process alive by itself. */
  #later(): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => void this.#poll(), this.#pollMs)
    ;(timer as { unref?: () => void }).unref?.()
    return timer
  }

  /** Looks at `id` (with whatever else is to be looked at) in the next task, if it is still waited on. */
  #lookSoon(id: string): void {
    if (this.#soon) {
      this.#soon.add(id)
      return
    }
    this.#soon = new Set([id])
    setTimeout(() => {
      const ids = [...this.#soon!].filter((waited) => this.#waits.has(waited))
      this.#soon = undefined
      if (ids.length > 0) void this.#look(ids)
    }, 0)
  }

  async #poll(): Promise<void> {
    this.#timer = undefined
    if (this.#waits.size === 0) return
    await this.#look([...this.#waits.keys()])
    if (this.#waits.size > 0) this.#timer ??= this.#later()
  }

  async #look(ids: string[]): Promise<void> {
    let positions: Array<Position | undefined>
    try {
      positions = await this.#lookUp(ids)
    } catch {
      // Redis is unreachable: the timer looks again, and a reconnection too.
      return
    }
    ids.forEach((id, index) => this.#settle(id, positions[index]))
  }

  /** Wakes the waits of `id` that `position` answers. */
  #settle(id: string, position: Position | undefined): void {
    const waits = this.#waits.get(id)
    if (!waits) return
    for (const wait of waits) {
      const due = !position || position.ended || (wait.after !== undefined && position.last > wait.after)
      if (!due) continue
      waits.delete(wait)
      wait.wake()
    }
    if (waits.size === 0) this.#waits.delete(id)
  }
}

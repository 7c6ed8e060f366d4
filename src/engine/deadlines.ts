/**
 * Many deadlines on one timer. A worker holding a minute of `/runsync` results at thousands of jobs
 * a second holds a million of them: a timer each is a timer object, a closure and a context per job
 * for the garbage collector to trace, and on some runtimes a costly call to make. The one timer is
 * moved only when the earliest deadline comes sooner than the one it is set for.
 *
 * Most deadlines come in order: every result of a kind is kept as long, every queued job waits its
 * ttl, so each new one is later than the last of its kind. Those go into a few *runs*, lists sorted
 * by time to which a deadline is only ever added at the end: setting, moving and clearing one is a
 * few pointers, wherever it sits, and the earliest is a run's first. A binary min-heap (O(log n))
 * takes the rest, which fit at the end of no run. A heap alone touched some twenty entries scattered
 * over a million at every set and clear, a cache miss each (bench/RESULTS.md, "Per-job cost, third
 * round").
 *
 * Not on workerd: there a timer belongs to the request that made it and dies with it, so a timer
 * shared by the deadlines of every request would stop firing once its request ended. Each deadline
 * then has a timer of its own, made by the request that sets it, and the deadlines whose time has
 * passed are fired at every `set` too: a timer whose request has ended never fires there.
 * @module
 */
import { cancelTimer, startTimer } from './timers.ts'
import { onWorkerd } from '../runtime.ts'

/** One deadline: when, for what, and where it sits: in the heap, or in a run between two others. */
interface Entry<K, T> {
  at: number
  value: T
  /** Its place in the heap, from 0; in run `r`, `-1 - r`. */
  index: number
  readonly key: K
  /** Its neighbours in its run. */
  prev: Entry<K, T> | undefined
  next: Entry<K, T> | undefined
  /** Its own timer, on workerd. */
  timer?: unknown
}

/** A list of deadlines sorted by time, added to only at its end. */
interface Run<K, T> {
  first: Entry<K, T> | undefined
  last: Entry<K, T> | undefined
}

/**
 * How many runs there are: one for each kind of deadline set in order (retention's: the results of
 * `/runsync`, those of `/run`, the ttl of queued jobs; the executor's: the default execution
 * timeout), and spares for the policies of requests that set their own.
 */
const RUNS = 5

/** Deadlines by key, calling `fire(key, value)` for each once its time has come. */
export class Deadlines<K, T> {
  readonly #fire: (key: K, value: T) => void
  readonly #heap: Entry<K, T>[] = []
  readonly #runs: Run<K, T>[] = Array.from({ length: RUNS }, () => ({ first: undefined, last: undefined }))
  readonly #byKey = new Map<K, Entry<K, T>>()
  #timer: unknown
  /** When the timer is set to fire; Infinity with no timer. */
  #timerAt = Infinity

  readonly #ownTimers: boolean

  /** `ownTimers`: a timer for each deadline rather than one for all, by default on workerd, whose timers die with the request that made them. */
  constructor(fire: (key: K, value: T) => void, ownTimers = onWorkerd()) {
    this.#fire = fire
    this.#ownTimers = ownTimers
  }

  /** How many deadlines are set. */
  get size(): number {
    return this.#byKey.size
  }

  /** The earliest deadline, or undefined with none. */
  next(): number | undefined {
    return this.#first()?.at
  }

  /** Sets (or moves) the deadline of `key` to `at`, ms since the epoch, with `value` for its firing. */
  set(key: K, at: number, value: T): void {
    if (this.#ownTimers) this.#fireDue()
    let entry = this.#byKey.get(key)
    if (entry) {
      this.#remove(entry)
      entry.at = at
      entry.value = value
    } else {
      entry = { at, value, index: 0, key, prev: undefined, next: undefined }
      this.#byKey.set(key, entry)
    }
    this.#add(entry)
    if (this.#ownTimers) this.#armOwn(entry)
    else this.#arm()
  }

  /** A deadline's own timer, made now, by the request that sets it. */
  #armOwn(entry: Entry<K, T>): void {
    cancelTimer(entry.timer)
    entry.timer = startTimer(() => {
      if (this.#byKey.get(entry.key) !== entry) return
      this.delete(entry.key)
      this.#fire(entry.key, entry.value)
    }, entry.at - Date.now())
  }

  /** Clears the deadline of `key`, if it has one. The timer is left: firing early, it finds nothing due. */
  delete(key: K): void {
    const entry = this.#byKey.get(key)
    if (!entry) return
    this.#byKey.delete(key)
    cancelTimer(entry.timer)
    this.#remove(entry)
  }

  /** The earliest entry: the first of a run, or the heap's. */
  #first(): Entry<K, T> | undefined {
    let first = this.#heap[0]
    for (const run of this.#runs) if (run.first !== undefined && (first === undefined || run.first.at < first.at)) first = run.first
    return first
  }

  /**
   * Puts `entry` at the end of the run whose last deadline is the latest not after it (so that each
   * run stays as close behind its kind as it can), or starts an empty run with it, or else puts it
   * in the heap.
   */
  #add(entry: Entry<K, T>): void {
    let best = -1
    let empty = -1
    for (let r = 0; r < RUNS; r++) {
      const last = this.#runs[r]!.last
      if (last === undefined) {
        if (empty < 0) empty = r
      } else if (last.at <= entry.at && (best < 0 || last.at > this.#runs[best]!.last!.at)) best = r
    }
    const r = best >= 0 ? best : empty
    if (r < 0) {
      entry.index = this.#heap.length
      this.#heap.push(entry)
      return this.#up(entry.index)
    }
    const run = this.#runs[r]!
    entry.index = -1 - r
    entry.prev = run.last
    entry.next = undefined
    if (run.last) run.last.next = entry
    else run.first = entry
    run.last = entry
  }

  /** Takes `entry` out of its run or the heap. */
  #remove(entry: Entry<K, T>): void {
    if (entry.index < 0) {
      const run = this.#runs[-1 - entry.index]!
      const { prev, next } = entry
      if (prev) prev.next = next
      else run.first = next
      if (next) next.prev = prev
      else run.last = prev
      entry.prev = entry.next = undefined
      return
    }
    const last = this.#heap.pop()!
    if (last === entry) return
    this.#heap[entry.index] = last
    last.index = entry.index
    this.#up(last.index)
    this.#down(last.index)
  }

  /** Sets the timer for the earliest deadline when it is sooner than the timer's. */
  #arm(): void {
    const first = this.#first()
    if (!first || first.at >= this.#timerAt) return
    cancelTimer(this.#timer)
    this.#timerAt = first.at
    this.#timer = startTimer(() => this.#due(), first.at - Date.now())
  }

  /** The timer fired: every deadline whose time has come fires, in order, and the timer moves on. */
  #due(): void {
    this.#timer = undefined
    this.#timerAt = Infinity
    try {
      this.#fireDue()
    } finally {
      // A firing that threw must not leave the deadlines after it without a timer.
      this.#arm()
    }
  }

  /** Fires, in order, every deadline whose time has come. */
  #fireDue(): void {
    const now = Date.now()
    for (let first = this.#first(); first !== undefined && first.at <= now; first = this.#first()) {
      this.delete(first.key)
      this.#fire(first.key, first.value)
    }
  }

  #up(index: number): void {
    const heap = this.#heap
    const entry = heap[index]!
    while (index > 0) {
      const parentIndex = (index - 1) >> 1
      const parent = heap[parentIndex]!
      if (parent.at <= entry.at) break
      heap[index] = parent
      parent.index = index
      index = parentIndex
    }
    heap[index] = entry
    entry.index = index
  }

  #down(index: number): void {
    const heap = this.#heap
    const entry = heap[index]!
    for (;;) {
      const left = 2 * index + 1
      if (left >= heap.length) break
      const right = left + 1
      const child = right < heap.length && heap[right]!.at < heap[left]!.at ? right : left
      if (heap[child]!.at >= entry.at) break
      heap[index] = heap[child]!
      heap[index]!.index = index
      index = child
    }
    heap[index] = entry
    entry.index = index
  }
}

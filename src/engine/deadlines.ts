/**
 * Many deadlines on one timer: a binary min-heap by time, indexed by key, so that setting, moving
 * and clearing one deadline is O(log n) and the earliest is known at once. A worker holding a
 * minute of `/runsync` results at thousands of jobs a second holds hundreds of thousands of them:
 * a timer each is a timer object, a closure and a context per job for the garbage collector to
 * trace, and on some runtimes a costly call to make. The one timer is moved only when the earliest
 * deadline comes sooner than the one it is set for.
 *
 * Not on workerd: there a timer belongs to the request that made it and dies with it, so a timer
 * shared by the deadlines of every request would stop firing once its request ended. Each deadline
 * then has a timer of its own, made by the request that sets it, and the deadlines whose time has
 * passed are fired at every `set` too: a timer whose request has ended never fires there.
 * @module
 */
import { cancelTimer, startTimer } from './timers.ts'
import { onWorkerd } from '../runtime.ts'

/** One deadline: when, for what, and where it sits in the heap. */
interface Entry<K, T> {
  at: number
  value: T
  index: number
  readonly key: K
  /** Its own timer, on workerd. */
  timer?: unknown
}

/** Deadlines by key, calling `fire(key, value)` for each once its time has come. */
export class Deadlines<K, T> {
  readonly #fire: (key: K, value: T) => void
  readonly #heap: Entry<K, T>[] = []
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
    return this.#heap[0]?.at
  }

  /** Sets (or moves) the deadline of `key` to `at`, ms since the epoch, with `value` for its firing. */
  set(key: K, at: number, value: T): void {
    if (this.#ownTimers) this.#fireDue()
    let entry = this.#byKey.get(key)
    if (entry) {
      const earlier = at < entry.at
      entry.at = at
      entry.value = value
      if (earlier) this.#up(entry.index)
      else this.#down(entry.index)
    } else {
      entry = { at, value, index: this.#heap.length, key }
      this.#byKey.set(key, entry)
      this.#heap.push(entry)
      this.#up(entry.index)
    }
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
    const last = this.#heap.pop()!
    if (last === entry) return
    this.#heap[entry.index] = last
    last.index = entry.index
    this.#up(last.index)
    this.#down(last.index)
  }

  /** Sets the timer for the earliest deadline when it is sooner than the timer's. */
  #arm(): void {
    const first = this.#heap[0]
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
    for (let first = this.#heap[0]; first !== undefined && first.at <= now; first = this.#heap[0]) {
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

/**
 * The job queue's data structure.
 * @module
 */

/** A FIFO queue that dequeues from its head without shifting the array each time. */
export class Fifo<T> {
  #items: T[] = []
  #head = 0
  /** Adds to the tail. */
  push(item: T): void {
    this.#items.push(item)
  }
  /** Takes from the head; undefined when empty. */
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined
    const item = this.#items[this.#head]
    // Drop the reference at once; compact only now and then so shift stays O(1) on average.
    this.#items[this.#head++] = undefined as T
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
    return item
  }
  /** Takes everything, in order. */
  drain(): T[] {
    const rest = this.#items.slice(this.#head)
    this.#items = []
    this.#head = 0
    return rest
  }
}

/**
 * Runs one attempt of a handler and feeds what it produces to the job. Cancellation does not go
 * through here: the engine records the terminal status itself and stops the source, so a handler
 * stuck in an `await` can delay its own cleanup but never the job's end.
 * @module
 */
import type { Job } from '../types.ts'
import type { HandlerOutcome, OutputSource } from '../handler/output-source.ts'
import { isPromiseLike, outcomeOf } from '../handler/output-source.ts'

/** What the driver needs to know of the run it drives. */
export interface DrivenRun {
  /** True once the attempt's end is recorded, whoever recorded it: stop pulling. */
  readonly ended: boolean
  /** Why the run was stopped, once it was. */
  readonly stopReason: unknown
}

/** Where a running handler's results go. Every method is a no-op once the execution has ended. */
export interface HandlerSink {
  /**
   * Adds one output; false when the job has ended (the output was an error, or not JSON). A promise
   * when the handler must wait for the store: an exact size measured near the limit, or a store
   * lagging so far behind that the next output must wait.
   */
  output(value: unknown): boolean | Promise<boolean>
  /** A plain handler's return value; a promise while a result spilled to the bucket is uploaded. */
  returned(value: unknown): void | Promise<void>
  /** A stream handler's source, known before its first output. */
  streaming(source: OutputSource): void
  /** The handler threw (or its stream errored). */
  failed(error: unknown): void
  /** The stream ended on its own; a promise while an aggregate spilled to the bucket is uploaded. */
  completed(): void | Promise<void>
}

/**
 * How long a stream may hog the event loop before it is made to give way to I/O and timers. It
 * bounds how late a hot handler sees its reader leave: at 20 ms, Deno's disconnects reached the
 * handler's `finally` in 30 ms.
 */
const MAX_BUSY_MS = 10
/** How many outputs pass between two looks at the clock. */
const CLOCK_EVERY = 256

const yieldToEventLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 0))

/**
 * Calls `handler(job)` and drives what it returns to the end, or until `execution.ended` says the
 * engine has ended the job (cancel, timeout): then it stops pulling at once.
 */
export async function driveHandler(
  handler: (job: Job<never, never>) => unknown,
  job: Job<never, never>,
  execution: DrivenRun,
  sink: HandlerSink
): Promise<void> {
  let outcome: HandlerOutcome
  try {
    let value = handler(job)
    if (isPromiseLike(value)) value = await value
    // Classifying the result runs the handler's code too (getters, a [Symbol.asyncIterator]()).
    outcome = outcomeOf(value)
  } catch (error) {
    sink.failed(error)
    return
  }
  if (execution.ended) {
    // Cancelled while the handler was still producing its stream: close it unread.
    if (outcome.kind === 'stream') await outcome.source.stop(execution.stopReason)
    return
  }
  if (outcome.kind === 'value') {
    // The slot stays held while a spilled result is uploaded: the job is still running.
    const uploading = sink.returned(outcome.value)
    if (uploading) await uploading
    return
  }
  const source = outcome.source
  sink.streaming(source)
  try {
    await pump(source, execution, sink)
  } catch (error) {
    sink.failed(error)
    return
  }
  if (execution.ended) await source.stop(execution.stopReason)
  else {
    const uploading = sink.completed()
    if (uploading) await uploading
  }
}

/**
 * The hot loop: moves outputs from `source` to `sink` until the source is done, the job ended, or
 * the sink refused one. Kept apart from what runs once a job is over: V8 optimises this loop long
 * before the first job ends, and code it meets for the first time in an optimised function throws
 * that function's optimised code away, so the next big stream would start slow.
 */
async function pump(source: OutputSource, execution: DrivenRun, sink: HandlerSink): Promise<void> {
  let count = 0
  let lastBreak = Date.now()
  for (;;) {
    let step = source.next()
    if (isPromiseLike(step)) step = await step
    if (execution.ended || step.done) return
    // `true` is the answer nearly always: tested first, it costs no look at a promise.
    const accepted = sink.output(step.value)
    if (accepted !== true && (accepted === false || !(await accepted) || execution.ended)) return
    // A generator that never awaits real I/O (or a sync one) would otherwise starve the event
    // loop: no reader would be served and no cancel request could even arrive.
    if (++count % CLOCK_EVERY === 0 && Date.now() - lastBreak > MAX_BUSY_MS) {
      await yieldToEventLoop()
      lastBreak = Date.now()
      if (execution.ended) return
    }
  }
}

/**
 * Where a running handler's results land, and the only writer of a job's outputs, progress and logs:
 * each value is serialised once, checked against the limits and appended to the job's log under
 * the attempt's lease; the handler's end becomes the attempt's outcome.
 * @module
 */
import { errorDetailFrom, jobErrors, messageOf } from '../errors.ts'
import type { OutputSource } from '../handler/output-source.ts'
import { isPromiseLike } from '../awaitable.ts'
import { errorOfYield, splitReturnedValue } from '../handler/result-error.ts'
import type { ErrorDetail } from '../types.ts'
import type { AttemptWriter } from '../store/store.ts'
import type { TerminalStatus } from '../store/job-state.ts'
import { utf8Length } from '../utf8-length.ts'
import { whenReady } from '../awaitable.ts'
import type { JobFiles } from '../offload/job-files.ts'
import type { AggregateState, Aggregation } from './aggregate.ts'
import { addToAggregate, foldedJson, isFolded, startAggregate } from './aggregate.ts'
import { AppendQueue } from './append-queue.ts'
import { logEventJson } from './log-line.ts'
import type { HandlerSink } from './drive-handler.ts'
import { OutputBudget, bytesOverEventLimit } from './output-budget.ts'

/** The limits and settings a sink applies. */
export interface SinkOptions {
  aggregation: Aggregation
  /** Largest single output or progress value, UTF-8 bytes of its JSON; a longer log line is cut to fit. */
  maxEventBytes: number
  /** Largest total of an attempt's outputs, and of its final output, UTF-8 bytes of JSON. */
  maxResultBytes: number
  exposeErrorStack: boolean
}

/** How the handler's run ended, as far as the sink can tell. */
export interface Outcome {
  status: TerminalStatus
  error?: ErrorDetail | undefined
  /** A plain handler's result, as JSON. */
  result?: string | undefined
  /** The folded aggregate as JSON, in place of the sink's own (a spilled aggregate's file). */
  aggregateJson?: string | undefined
  /** The result asked for `refresh_worker`: the process restarts after the job. */
  refresh?: boolean | undefined
}

/** What a sink needs of the run it writes for (an {@link Execution}). */
export interface SinkRun {
  /** True once the attempt's end is recorded, whoever recorded it. */
  readonly ended: boolean
  source: OutputSource | undefined
  /** Ends the attempt from this process; `handlerDone` when the handler itself has finished. */
  end(outcome: Outcome, handlerDone: boolean): void
  /** The store refused a write: the attempt was ended elsewhere, or its lease lost. */
  lost(): void
}

/**
 * The sink of one attempt. A class rather than closures over the job: V8 inlines a closure called
 * from the hot loop together with its own job's state, so code optimised during one job would be
 * thrown away when that job ends, and the next big stream would start unoptimised.
 */
export class JobSink implements HandlerSink {
  readonly #writer: AttemptWriter
  readonly #run: SinkRun
  readonly #options: SinkOptions
  readonly #budget: OutputBudget
  readonly #appends: AppendQueue
  readonly #aggregate: AggregateState
  /** The job's files, where outputs and results over the limits go with spill on; undefined with it off. */
  readonly #spill: (() => JobFiles) | undefined

  /** `files` gives the job's files (made when first asked for); pass it only with spill on. */
  constructor(writer: AttemptWriter, run: SinkRun, options: SinkOptions, files?: () => JobFiles) {
    this.#writer = writer
    this.#run = run
    this.#options = options
    this.#spill = files
    this.#budget = new OutputBudget(options.maxResultBytes)
    this.#appends = new AppendQueue(writer, () => run.lost())
    this.#aggregate = startAggregate(options.aggregation)
  }

  /** The exact size of the outputs from the `index`th on, for the budget near its limit. */
  outputBytesFrom(index: number): number | Promise<number> {
    // The outputs on their way to the store are measured once they are in it.
    const drained = this.#appends.drained()
    return drained ? drained.then(() => this.#writer.outputBytesFrom(index)) : this.#writer.outputBytesFrom(index)
  }

  /** Settles when every event appended so far is in the store; undefined when nothing is on its way. */
  drained(): Promise<void> | undefined {
    return this.#appends.drained()
  }

  /** The `concat` or reducer aggregate so far as JSON; undefined for the others, or when JSON cannot carry it. */
  foldedAggregateJson(): string | undefined {
    if (!isFolded(this.#options.aggregation) || this.#run.source === undefined) return undefined
    try {
      return foldedJson(this.#aggregate)
    } catch {
      return undefined
    }
  }

  output(value: unknown): boolean | Promise<boolean> {
    if (this.#run.ended) return false
    const json = this.#serialise(value, false)
    if (json === undefined) return false
    const { maxEventBytes } = this.#options
    const bytes = bytesOverEventLimit(json, maxEventBytes)
    if (bytes !== undefined) {
      const tooLarge = () => jobErrors.payloadTooLarge(`${this.#nameOf(false)} is ${bytes} bytes, over the limit of ${maxEventBytes} for one event (the worker's maxEventBytes option raises it)`)
      return this.#spillOrRefuse(value, json, tooLarge)
    }
    const admitted = this.#budget.admit(json, this)
    if (admitted === true) return this.#accept(value, json)
    const overBudget = () => this.#overBudgetError(false)
    if (admitted === false) return this.#spillOrRefuse(value, json, overBudget)
    return admitted.then((fits) => (fits ? this.#accept(value, json) : this.#spillOrRefuse(value, json, overBudget)))
  }

  /**
   * With spill on, puts an output over a limit in the job's bucket and appends `{url, size,
   * contentType}` in its place (the array aggregate is the events, so it holds the same), in
   * order: the handler waits for the upload before its next output. When spill is off or the job
   * has no bucket, the output is refused with `tooLarge`. A failed upload ends the job `FAILED`
   * (`upload_failed`), keeping the outputs before it.
   */
  #spillOrRefuse(value: unknown, json: string, tooLarge: () => ErrorDetail): Promise<boolean> | false {
    const spilled = this.#spill?.().spill(json, `output-${this.#aggregate.count + 1}.json`)?.then(
      (file) => {
        if (this.#run.ended) return false
        const placeholder = JSON.stringify(file)
        const admitted = this.#budget.admit(placeholder, this)
        // Even the place of a file no longer fits the job's outputs: the limit it went over stands.
        // A `concat` or reducer aggregate folds the output itself: only the event stands for it.
        return whenReady(admitted, (fits) => (fits ? this.#accept(value, placeholder) : this.#refuse(tooLarge())))
      },
      (error: unknown) => this.#refuse(this.#uploadError(error))
    )
    return spilled ?? this.#refuse(tooLarge())
  }

  /** What a failed upload ends the job with: its UploadError, `code: 'upload_failed'`. */
  #uploadError(error: unknown): ErrorDetail {
    return errorDetailFrom(error, this.#options.exposeErrorStack)
  }

  /** Reports progress (`job.progress`): in order with the outputs; throws for a value JSON cannot carry or over the limit. */
  progress(value: unknown): void {
    if (this.#run.ended) return
    const json = JSON.stringify(value)
    if (json === undefined) throw new TypeError(`progress must be a JSON value, got ${typeof value}`)
    const maxEventBytes = this.#options.maxEventBytes
    const bytes = bytesOverEventLimit(json, maxEventBytes)
    if (bytes !== undefined) {
      // As for an output: the job ends FAILED with payload_too_large, and the handler is stopped.
      const detail = jobErrors.payloadTooLarge(`progress is ${bytes} bytes, over the limit of ${maxEventBytes} for one event (the worker's maxEventBytes option raises it)`)
      this.#refuse(detail)
      throw Object.assign(new RangeError(detail.message), { code: detail.code })
    }
    this.#appends.push('progress', json)
  }

  /**
   * Appends a `job.log` line, in order with the outputs. A bad message or level throws a
   * `TypeError` even after the end (it is the handler's bug either way); a line too long is cut.
   */
  log(message: unknown, level: unknown): void {
    const json = logEventJson(message, level, Date.now(), this.#options.maxEventBytes)
    if (!this.#run.ended) this.#appends.push('log', json)
  }

  returned(value: unknown): void | Promise<void> {
    if (this.#run.ended) return
    let split: ReturnType<typeof splitReturnedValue>
    try {
      split = splitReturnedValue(value)
    } catch (error) {
      // Reading the result threw (a getter, a Proxy): the handler's failure, in its own words.
      return this.failed(error)
    }
    const { error, output, refresh } = split
    let result: string | undefined
    const end = (result: string | undefined) => {
      if (error !== undefined) this.#run.end({ status: 'FAILED', error: jobErrors.handler(error), result, refresh }, true)
      else this.#run.end({ status: 'COMPLETED', result, refresh }, true)
    }
    if (output) {
      result = this.#serialise(output.value, true)
      if (result === undefined) return
      // Nothing went out before a result, so nothing is left to measure: the answer comes at once.
      if (this.#budget.admit(result, this) !== true) {
        const spilled = this.#spillResult(result, 'result.json', (placeholder) => end(placeholder))
        return spilled ?? void this.#refuse(this.#overBudgetError(true))
      }
    }
    end(result)
  }

  /**
   * With spill on, puts a result over `maxResultBytes` in the job's bucket, then ends the job with
   * `{url, size, contentType}` as its result (`end`); undefined when spill is off or the job has no
   * bucket. The job runs (`IN_PROGRESS`) until the upload is done.
   */
  #spillResult(json: string, name: string, end: (placeholder: string) => void): Promise<void> | undefined {
    return this.#spill?.().spill(json, name)?.then(
      (file) => {
        if (!this.#run.ended) end(JSON.stringify(file))
      },
      (error: unknown) => {
        if (!this.#run.ended) this.#run.end({ status: 'FAILED', error: this.#uploadError(error) }, true)
      }
    )
  }

  streaming(source: OutputSource): void {
    this.#run.source = source
    const marked = this.#writer.streaming()
    if (isPromiseLike(marked)) void Promise.resolve(marked).then((held) => held || this.#run.lost())
    else if (!marked) this.#run.lost()
  }

  failed(error: unknown): void {
    if (!this.#run.ended) this.#run.end({ status: 'FAILED', error: errorDetailFrom(error, this.#options.exposeErrorStack) }, true)
  }

  completed(): void | Promise<void> {
    if (this.#run.ended) return
    const { aggregation, maxResultBytes, exposeErrorStack } = this.#options
    // The array aggregate is bounded output by output; a string or a reducer's result is only
    // known, and measured, at the end.
    if (isFolded(aggregation)) {
      let json: string
      try {
        json = foldedJson(this.#aggregate)
      } catch (error) {
        return this.#run.end({ status: 'FAILED', error: errorDetailFrom(error, exposeErrorStack) }, true)
      }
      const bytes = utf8Length(json)
      if (bytes > maxResultBytes) {
        const spilled = this.#spillResult(json, 'aggregate.json', (placeholder) => this.#run.end({ status: 'COMPLETED', aggregateJson: placeholder }, true))
        return spilled ?? this.#run.end({ status: 'FAILED', error: jobErrors.payloadTooLarge(`the aggregate is ${bytes} bytes, over the limit of ${maxResultBytes} (the worker's maxResultBytes option raises it)`) }, true)
      }
    }
    this.#run.end({ status: 'COMPLETED' }, true)
  }

  /**
   * Appends an admitted output and folds it in; false when that ends the job, a promise when the
   * store lags so far behind that the handler waits for it before its next output.
   */
  #accept(value: unknown, json: string): boolean | Promise<boolean> {
    const appends = this.#appends
    if (!appends.push('output', json)) return false
    try {
      addToAggregate(this.#options.aggregation, this.#aggregate, value)
    } catch (error) {
      return this.#refuse(errorDetailFrom(error, this.#options.exposeErrorStack))
    }
    const error = errorOfYield(value)
    if (error !== undefined) return this.#refuse(jobErrors.handler(error))
    if (!appends.crowded) return true
    return Promise.resolve(appends.drained()).then(() => appends.holds)
  }

  #overBudgetError(isResult: boolean): ErrorDetail {
    return jobErrors.payloadTooLarge(`${this.#nameOf(isResult)} takes the job's outputs over the limit of ${this.#options.maxResultBytes} bytes (the worker's maxResultBytes option raises it)`)
  }

  /** The handler may still be suspended here, so its end goes through the bounded stop. */
  #refuse(error: ErrorDetail): false {
    this.#run.end({ status: 'FAILED', error }, false)
    return false
  }

  /** Named only when refused: building the name for every output would cost a string per event. */
  #nameOf(isResult: boolean): string {
    return isResult ? 'the result' : `output ${this.#aggregate.count + 1}`
  }

  #serialise(value: unknown, isResult: boolean): string | undefined {
    try {
      const json = JSON.stringify(value)
      if (json !== undefined) return json
      this.#refuse(jobErrors.notJson(`${this.#nameOf(isResult)} is ${typeof value}, which JSON cannot carry`))
    } catch (error) {
      this.#refuse(jobErrors.notJson(`${this.#nameOf(isResult)} cannot be sent as JSON: ${messageOf(error)}`))
    }
    return undefined
  }
}

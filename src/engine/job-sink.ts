/**
 * Where a running handler's results land: outputs are serialised once, checked against the limits
 * and appended to the job's log, and the handler's end becomes the job's terminal status.
 * @module
 */
import { errorDetailFrom, messageOf } from '../errors.ts'
import type { OutputSource } from '../handler/output-source.ts'
import { errorOfYield, splitReturnedValue } from '../handler/result-error.ts'
import type { ErrorDetail, JobStatus } from '../types.ts'
import type { Aggregation } from './aggregate.ts'
import { addToAggregate, aggregateJson } from './aggregate.ts'
import type { HandlerSink } from './drive-handler.ts'
import type { Execution, JobRecord } from './job-record.ts'
import { OutputBudget, bytesOverEventLimit } from './output-budget.ts'
import { utf8Length } from './utf8-length.ts'

/** What a sink needs from its engine. */
export interface SinkContext {
  aggregation: Aggregation
  /** Largest single output or progress value, UTF-8 bytes of its JSON. */
  maxEventBytes: number
  /** Largest total of a job's outputs, and of its final output, UTF-8 bytes of JSON. */
  maxResultBytes: number
  exposeErrorStack: boolean
  /** Records the job's terminal status (a no-op once it has one). */
  end(record: JobRecord, status: JobStatus, error: ErrorDetail | undefined): void
}

/** The error of a job that edgepod ended because its output was over a limit. */
export function payloadTooLarge(message: string): ErrorDetail {
  return { type: 'PayloadTooLargeError', message, code: 'payload_too_large' }
}

/** Creates the sink of one execution of `record`. */
export function createJobSink(record: JobRecord, execution: Execution, context: SinkContext): HandlerSink {
  return new JobSink(record, execution, context)
}

/**
 * The sink of one execution. A class rather than closures over the job: V8 inlines a closure
 * called from the hot loop together with its own job's state, so code optimised during one job
 * would be thrown away when that job ends, and the next big stream would start unoptimised.
 */
class JobSink implements HandlerSink {
  readonly #record: JobRecord
  readonly #execution: Execution
  readonly #context: SinkContext
  readonly #budget: OutputBudget

  constructor(record: JobRecord, execution: Execution, context: SinkContext) {
    this.#record = record
    this.#execution = execution
    this.#context = context
    this.#budget = new OutputBudget(record, context.maxResultBytes)
  }

  output(value: unknown): boolean {
    if (this.#execution.ended || !this.#append(value, false)) return false
    const context = this.#context
    try {
      addToAggregate(context.aggregation, this.#record.aggregate, value)
    } catch (error) {
      this.#refuse(errorDetailFrom(error, context.exposeErrorStack))
      return false
    }
    const error = errorOfYield(value)
    if (error === undefined) return true
    this.#refuse({ type: 'HandlerError', message: error })
    return false
  }

  returned(value: unknown): void {
    if (this.#execution.ended) return
    this.#record.kind = 'value'
    let split: ReturnType<typeof splitReturnedValue>
    try {
      split = splitReturnedValue(value)
    } catch (error) {
      // Reading the result threw (a getter, a Proxy): the handler's failure, in its own words.
      return this.failed(error)
    }
    const { error, output } = split
    if (output && !this.#append(output.value, true)) return
    if (error !== undefined) this.#endedByHandler('FAILED', { type: 'HandlerError', message: error })
    else this.#endedByHandler('COMPLETED', undefined)
  }

  streaming(source: OutputSource): void {
    this.#record.kind = 'stream'
    this.#execution.source = source
  }

  failed(error: unknown): void {
    if (!this.#execution.ended) this.#endedByHandler('FAILED', errorDetailFrom(error, this.#context.exposeErrorStack))
  }

  completed(): void {
    if (this.#execution.ended) return
    const context = this.#context
    const record = this.#record
    // The array aggregate is bounded output by output; a string or a reducer's result is only
    // known, and measured, at the end.
    if (typeof context.aggregation === 'object' || context.aggregation === 'concat') {
      let json: string
      try {
        json = aggregateJson(context.aggregation, record.aggregate, record.log)
      } catch (error) {
        return this.#endedByHandler('FAILED', errorDetailFrom(error, context.exposeErrorStack))
      }
      const bytes = utf8Length(json)
      if (bytes > context.maxResultBytes) {
        return this.#endedByHandler('FAILED', payloadTooLarge(`the aggregate is ${bytes} bytes, over the limit of ${context.maxResultBytes}`))
      }
      record.outputCache = json
    }
    this.#endedByHandler('COMPLETED', undefined)
  }

  /** The handler itself has finished: its slot is free for the next job right away. */
  #endedByHandler(status: JobStatus, error: ErrorDetail | undefined): void {
    this.#context.end(this.#record, status, error)
    this.#execution.release()
  }

  /** The handler may still be suspended here, so its end goes through the engine's bounded stop. */
  #refuse(error: ErrorDetail): void {
    this.#context.end(this.#record, 'FAILED', error)
  }

  /** Named only when refused: building the name for every output would cost a string per event. */
  #nameOf(isResult: boolean): string {
    return isResult ? 'the result' : `output ${this.#record.aggregate.count + 1}`
  }

  #serialise(value: unknown, isResult: boolean): string | undefined {
    try {
      const json = JSON.stringify(value)
      if (json !== undefined) return json
      this.#refuse({ type: 'TypeError', message: `${this.#nameOf(isResult)} is ${typeof value}, which JSON cannot carry` })
    } catch (error) {
      this.#refuse({ type: 'TypeError', message: `${this.#nameOf(isResult)} cannot be sent as JSON: ${messageOf(error)}` })
    }
    return undefined
  }

  /** Appends one output if it is JSON and within the limits; false when the job has ended. */
  #append(value: unknown, isResult: boolean): boolean {
    const json = this.#serialise(value, isResult)
    if (json === undefined) return false
    const { maxEventBytes, maxResultBytes } = this.#context
    const bytes = isResult ? undefined : bytesOverEventLimit(json, maxEventBytes)
    if (bytes !== undefined) {
      this.#refuse(payloadTooLarge(`${this.#nameOf(isResult)} is ${bytes} bytes, over the limit of ${maxEventBytes} for one event`))
      return false
    }
    if (!this.#budget.admit(json)) {
      this.#refuse(payloadTooLarge(`${this.#nameOf(isResult)} takes the job's outputs over the limit of ${maxResultBytes} bytes`))
      return false
    }
    this.#record.log.append('output', json)
    return true
  }
}

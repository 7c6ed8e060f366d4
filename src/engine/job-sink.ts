/**
 * Where a running handler's results land: outputs are serialised once, checked against the limits
 * and appended to the job's log, and the handler's end becomes the job's terminal status.
 * @module
 */
import { errorDetailFrom } from '../errors.ts'
import { errorOfYield, splitReturnedValue } from '../handler/result-error.ts'
import type { ErrorDetail, JobStatus } from '../types.ts'
import type { Aggregation } from './aggregate.ts'
import { addToAggregate, aggregateJson } from './aggregate.ts'
import type { HandlerSink } from './drive-handler.ts'
import type { Execution, JobRecord } from './job-record.ts'
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
  const { log } = record
  // The handler itself has finished: its slot is free for the next job right away.
  const endedByHandler = (status: JobStatus, error: ErrorDetail | undefined) => {
    context.end(record, status, error)
    execution.release()
  }
  // The handler may still be suspended here, so its end goes through the engine's bounded stop.
  const refuse = (error: ErrorDetail) => context.end(record, 'FAILED', error)
  const serialise = (value: unknown, what: string): string | undefined => {
    try {
      const json = JSON.stringify(value)
      if (json !== undefined) return json
      refuse({ type: 'TypeError', message: `${what} is ${typeof value}, which JSON cannot carry` })
    } catch (error) {
      refuse({ type: 'TypeError', message: `${what} cannot be sent as JSON: ${(error as Error).message}` })
    }
    return undefined
  }
  /** Appends one output if it is JSON and within the limits; false when the job has ended. */
  const append = (value: unknown, isResult: boolean): boolean => {
    const what = isResult ? 'the result' : `output ${record.aggregate.count + 1}`
    const json = serialise(value, what)
    if (json === undefined) return false
    const bytes = utf8Length(json)
    if (!isResult && bytes > context.maxEventBytes) {
      refuse(payloadTooLarge(`${what} is ${bytes} bytes, over the limit of ${context.maxEventBytes} for one event`))
      return false
    }
    if (record.outputBytes + bytes + 1 > context.maxResultBytes) {
      refuse(payloadTooLarge(`${what} takes the job's outputs over the limit of ${context.maxResultBytes} bytes`))
      return false
    }
    record.outputBytes += bytes + 1
    log.append('output', json)
    return true
  }

  return {
    output(value) {
      if (execution.ended || !append(value, false)) return false
      try {
        addToAggregate(context.aggregation, record.aggregate, value)
      } catch (error) {
        refuse(errorDetailFrom(error, context.exposeErrorStack))
        return false
      }
      const error = errorOfYield(value)
      if (error === undefined) return true
      refuse({ type: 'HandlerError', message: error })
      return false
    },
    returned(value) {
      if (execution.ended) return
      record.kind = 'value'
      const { error, output } = splitReturnedValue(value)
      if (output && !append(output.value, true)) return
      if (error !== undefined) endedByHandler('FAILED', { type: 'HandlerError', message: error })
      else endedByHandler('COMPLETED', undefined)
    },
    streaming(source) {
      record.kind = 'stream'
      execution.source = source
    },
    failed(error) {
      if (!execution.ended) endedByHandler('FAILED', errorDetailFrom(error, context.exposeErrorStack))
    },
    completed() {
      if (execution.ended) return
      // The array aggregate is bounded output by output; a string or a reducer's result is only
      // known, and measured, at the end.
      if (typeof context.aggregation === 'object' || context.aggregation === 'concat') {
        let json: string
        try {
          json = aggregateJson(context.aggregation, record.aggregate, log)
        } catch (error) {
          return endedByHandler('FAILED', errorDetailFrom(error, context.exposeErrorStack))
        }
        const bytes = utf8Length(json)
        if (bytes > context.maxResultBytes) {
          return endedByHandler('FAILED', payloadTooLarge(`the aggregate is ${bytes} bytes, over the limit of ${context.maxResultBytes}`))
        }
        record.outputCache = json
      }
      endedByHandler('COMPLETED', undefined)
    },
  }
}

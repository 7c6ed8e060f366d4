/**
 * How a stream's outputs become the job's one `output`: RunPod's array, a concatenated string for
 * token streams (Cog's `ConcatenateIterator`), or a reducer of the user's own.
 * @module
 */

/** A reducer: `initial` is copied for every job, `reduce` folds each output into it. */
export interface Reducer<TResult = unknown> {
  initial: TResult
  reduce(result: TResult, output: any, index: number): TResult
}

/**
 * The aggregation of a worker: `'array'` (RunPod's `return_aggregate_stream`), `'concat'` (one
 * string: strings joined as they are, other values as JSON), `'none'` (`[]`, as RunPod without the
 * flag), or a {@link Reducer}.
 */
export type Aggregation = 'array' | 'concat' | 'none' | Reducer

/** The running state of one attempt's aggregate. */
export interface AggregateState {
  value: unknown
  count: number
}

/** True for the aggregations whose result is folded as outputs come (`concat`, a reducer). */
export function isFolded(aggregation: Aggregation): aggregation is 'concat' | Reducer {
  return aggregation === 'concat' || typeof aggregation === 'object'
}

/** Starts the aggregate of a new attempt. */
export function startAggregate(aggregation: Aggregation): AggregateState {
  if (aggregation === 'concat') return { value: '', count: 0 }
  if (typeof aggregation === 'object') return { value: structuredClone(aggregation.initial), count: 0 }
  // 'array' and 'none' are read from the log itself: nothing to keep twice.
  return { value: undefined, count: 0 }
}

/** Folds one output into the aggregate; a reducer's error propagates (the job fails with it). */
export function addToAggregate(aggregation: Aggregation, state: AggregateState, value: unknown): void {
  if (aggregation === 'concat') state.value = `${state.value as string}${typeof value === 'string' ? value : JSON.stringify(value)}`
  else if (typeof aggregation === 'object') state.value = aggregation.reduce(state.value, value, state.count)
  state.count++
}

/** A folded aggregate as JSON text; throws for a reducer's result that JSON cannot carry. */
export function foldedJson(state: AggregateState): string {
  const json = JSON.stringify(state.value)
  if (json === undefined) throw new TypeError(`the aggregate is ${typeof state.value}, which JSON cannot carry`)
  return json
}

/**
 * The aggregate of the outputs of a log read back (`types[i]` is the type of the event whose JSON
 * is `jsons[i]`), for a job whose aggregate was not kept: RunPod's array as the outputs joined,
 * `[]`, or the fold replayed. Undefined when a reducer fails or its result JSON cannot carry: then
 * the job has no output to show.
 */
export function aggregateOfLog(aggregation: Aggregation, types: readonly string[], jsons: readonly string[]): string | undefined {
  if (aggregation === 'none') return '[]'
  if (aggregation === 'array') {
    let json = ''
    for (let index = 0; index < types.length; index++) {
      if (types[index] === 'output') json += json ? `,${jsons[index]}` : jsons[index]
    }
    return `[${json}]`
  }
  try {
    const state = startAggregate(aggregation)
    for (let index = 0; index < types.length; index++) {
      if (types[index] === 'output') addToAggregate(aggregation, state, JSON.parse(jsons[index]!))
    }
    return foldedJson(state)
  } catch {
    return undefined
  }
}

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
 * The aggregate of outputs read back from a log (their JSON, in order), for a job whose aggregate
 * was not kept: RunPod's array as the outputs joined, `[]`, or the fold replayed. Undefined when a
 * reducer fails or its result JSON cannot carry: then the job has no output to show.
 */
export function aggregateOfOutputs(aggregation: Aggregation, outputs: readonly string[]): string | undefined {
  if (aggregation === 'array') return `[${outputs.join(',')}]`
  if (aggregation === 'none') return '[]'
  try {
    const state = startAggregate(aggregation)
    for (const json of outputs) addToAggregate(aggregation, state, JSON.parse(json))
    return foldedJson(state)
  } catch {
    return undefined
  }
}

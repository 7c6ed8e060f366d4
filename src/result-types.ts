/**
 * The types a worker carries for its clients, computed from its handler and config as the engine
 * computes the values: what one output is, and what the job's `output` in its status object is.
 * Types only.
 * @module
 */
import type { Reducer } from './engine/aggregate.ts'

/**
 * What the engine makes of a handler's awaited return value `R` (`outcomeOf` in
 * src/handler/output-source.ts): `{ stream: Y }` for a stream whose outputs are `Y` (a generator or
 * any (async) iterable, a `ReadableStream`, whose byte chunks are decoded to text), `{ value: R }`
 * for anything else. Strings, arrays and byte arrays are iterable but are values there, so here too.
 */
type OutcomeOf<R> = R extends string | String | readonly unknown[] | ArrayBufferView
  ? { value: R }
  : R extends ReadableStream<infer Y>
    ? { stream: Y extends Uint8Array | ArrayBuffer ? string : Y }
    : R extends AsyncIterable<infer Y> | Iterable<infer Y>
      ? { stream: Y }
      : { value: R }

/**
 * What one output of a handler returning `TResult` is: the item of a stream (a generator, an
 * iterable, a `ReadableStream`; a byte stream becomes text), or the returned value itself, as the
 * job's one output sends it (without RunPod's `error` and `refresh_worker` keys; `never` for a
 * handler that returns nothing, as no output is sent then).
 */
export type HandlerOutputOf<TResult> =
  OutcomeOf<Awaited<TResult>> extends infer O
    ? O extends { stream: infer Y }
      ? Y
      : O extends { value: infer V }
        ? ReturnedOutputOf<V, never>
        : never
    : never

/**
 * The aggregation a config chooses, as a type: `aggregate` when it is set (a reducer as
 * `Reducer<TReduced>`), else `'array'` or `'none'` from `returnAggregateStream`, else from
 * `return_aggregate_stream`, the order `resolveConfig` reads them in. A parameter that is
 * `unknown` was not set (or not known: a `start<Input>(...)` call given its type arguments).
 */
export type AggregationOf<TAggregate = unknown, TReduced = unknown, TReturnAggregateStream = unknown, TReturnAggregateStreamRunPod = unknown> =
  unknown extends TAggregate
    ? FlagAggregation<TReturnAggregateStream, TReturnAggregateStreamRunPod>
    : AggregateOption<TAggregate, TReduced, FlagAggregation<TReturnAggregateStream, TReturnAggregateStreamRunPod>>

/** `aggregate`'s value as an aggregation, member by member: `undefined` falls back to the flags. */
type AggregateOption<TAggregate, TReduced, TFallback> = TAggregate extends undefined
  ? TFallback
  : TAggregate extends 'array' | 'concat' | 'none'
    ? TAggregate
    : Reducer<TReduced>

/** The aggregation `returnAggregateStream ?? return_aggregate_stream` gives: truthy is `'array'`. */
type FlagAggregation<TFlag, TRunPodFlag> = unknown extends TFlag
  ? FlagValue<TRunPodFlag>
  : TFlag extends undefined
    ? FlagValue<TRunPodFlag>
    : FlagValue<TFlag>

/** One flag's aggregation; a `boolean` not known at compile time may be either. */
type FlagValue<TFlag> = unknown extends TFlag ? 'none' : TFlag extends true ? 'array' : 'none'

/**
 * What a plain handler's returned value `R` is sent as (`splitReturnedValue` in
 * src/handler/result-error.ts): RunPod's `error` and `refresh_worker` keys are taken out of an
 * object, and `TNone` stands for no output at all (`undefined`, or an object with nothing left).
 */
type ReturnedOutputOf<R, TNone> = R extends void | undefined
  ? TNone
  : R extends readonly unknown[] | ArrayBufferView | ((...args: never) => unknown)
    ? R
    : R extends object
      ? 'error' extends keyof R
        ? WithoutResultKeys<R, TNone>
        : 'refresh_worker' extends keyof R
          ? WithoutResultKeys<R, TNone>
          : R
      : R

/**
 * `R` without RunPod's result keys, or `TNone` when nothing is left. A key whose type is only
 * `undefined` does not count: it is what TypeScript adds to each member of a union of object
 * literals (`{ error: string; text?: undefined } | { text: string; error?: undefined }`), which
 * the returned object does not have.
 */
type WithoutResultKeys<R, TNone> = { [K in keyof R as Exclude<K, 'error' | 'refresh_worker'>]: R[K] } extends infer Rest
  ? [{ [K in keyof Rest]-?: [Exclude<Rest[K], undefined>] extends [never] ? never : K }[keyof Rest]] extends [never]
    ? TNone
    : Rest
  : never

/** A stream's outputs `Y` under one aggregation `A`, as the status object's `output` carries them. */
type AggregateOf<Y, A> = A extends 'array'
  ? Y[]
  : A extends 'concat'
    ? string
    : A extends 'none'
      ? []
      : A extends Reducer<infer TReduced>
        ? TReduced
        : unknown

/**
 * The `output` of the status object (`/status`, `/runsync`, `/cancel`, the webhook) of a job whose
 * handler returns `TResult`, under `TAggregation` (an {@link Aggregation}, see
 * {@link AggregationOf}): for a plain handler, its returned value (awaited; without RunPod's
 * `error` and `refresh_worker` keys, and `undefined` for no output); for a streaming handler, `Y[]`
 * with `'array'`, `string` with `'concat'`, the reducer's result type with a reducer, and RunPod's
 * empty array `[]` with `'none'` (where `Y` is {@link HandlerOutputOf}). `unknown` (`any`) for a
 * handler whose return type is `unknown` (`any`). The types are the values before JSON: a `Date`
 * in them is a string on the wire.
 * @example
 * ```ts
 * type A = HandlerResultOf<AsyncGenerator<string>, 'concat'> // string
 * type B = HandlerResultOf<AsyncGenerator<string>, 'array'> // string[]
 * type C = HandlerResultOf<Promise<{ text: string }>, 'none'> // { text: string }
 * ```
 */
export type HandlerResultOf<TResult, TAggregation = 'none'> = 0 extends 1 & TResult
  ? any
  : unknown extends TResult
    ? unknown
    : OutcomeOf<Awaited<TResult>> extends infer O
      ? O extends { stream: infer Y }
        ? AggregateOf<Y, TAggregation>
        : O extends { value: infer V }
          ? ReturnedOutputOf<V, undefined>
          : never
      : never


/**
 * Input validation with any Standard Schema validator (zod, valibot, arktype, ...), before a job
 * exists. Issues are answered in one shape whatever the library.
 * @module
 */
import type { StandardSchemaV1 } from '@standard-schema/spec'
import { WorkerError } from '../errors.ts'
import type { BodyIssue } from './request-body.ts'

/** A path segment as libraries give it: a key, or an object holding one (valibot). */
function keyOf(segment: PropertyKey | StandardSchemaV1.PathSegment): string {
  const key = typeof segment === 'object' ? segment.key : segment
  return typeof key === 'symbol' ? key.toString() : String(key)
}

/**
 * The validated input (with the schema's transforms and defaults applied), or a 400 `invalid_input`
 * whose details are the issues, each with its path from the body (`["input", ...]`).
 */
export async function validatedInput(schema: StandardSchemaV1 | undefined, input: unknown): Promise<unknown> {
  if (!schema) return input
  const result = await schema['~standard'].validate(input)
  if (!result.issues) return result.value
  const issues: BodyIssue[] = result.issues.map((issue) => ({
    path: ['input', ...(issue.path ?? []).map(keyOf)],
    message: issue.message,
  }))
  const summary = issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')
  throw new WorkerError('invalid_input', `invalid input: ${summary}`, { details: issues })
}

/** The input's JSON Schema, when the validator can produce one (Standard JSON Schema). */
export function inputJsonSchemaOf(schema: StandardSchemaV1 | undefined): Record<string, unknown> | undefined {
  const converter = (schema?.['~standard'] as { jsonSchema?: { input?: (options: { target: string }) => unknown } } | undefined)
    ?.jsonSchema
  if (typeof converter?.input !== 'function') return undefined
  try {
    return converter.input({ target: 'draft-2020-12' }) as Record<string, unknown>
  } catch {
    // Some schemas (transforms, custom checks) have no JSON Schema form: the document says "any".
    return undefined
  }
}

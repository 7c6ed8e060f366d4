/**
 * exampleInput: the playground's default input from a JSON Schema, on hand-written schemas and on
 * what zod and arktype render.
 */
import { type } from 'arktype'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { exampleInput } from './example-input.ts'

const jsonSchemaOf = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' })

describe('exampleInput', () => {
  it('takes default, then examples[0] or example, then const or the first enum value', () => {
    expect(exampleInput({ type: 'string', default: 'd', examples: ['e'], const: 'c' })).toBe('d')
    expect(exampleInput({ type: 'string', examples: ['e', 'f'], example: 'x', enum: ['a'] })).toBe('e')
    expect(exampleInput({ type: 'string', examples: [], example: 'x', enum: ['a'] })).toBe('x')
    expect(exampleInput({ type: 'string', const: 'c', enum: ['a'] })).toBe('c')
    expect(exampleInput({ enum: ['fast', 'slow'] })).toBe('fast')
    // A default of null or false is a value like any other.
    expect(exampleInput({ type: ['string', 'null'], default: null })).toBeNull()
    expect(exampleInput({ type: 'boolean', default: true })).toBe(true)
  })

  it('gives a placeholder by type otherwise', () => {
    expect(exampleInput({ type: 'string' })).toBe('')
    expect(exampleInput({ type: 'number' })).toBe(0)
    expect(exampleInput({ type: 'integer' })).toBe(0)
    expect(exampleInput({ type: 'boolean' })).toBe(false)
    expect(exampleInput({ type: 'null' })).toBeNull()
    expect(exampleInput({ type: 'array', items: { type: 'string' } })).toEqual([])
    expect(exampleInput({ type: 'object' })).toEqual({})
    expect(exampleInput({ type: ['null', 'integer'] })).toBe(0)
    // No type: what the keywords imply, else null (any value is allowed).
    expect(exampleInput({ properties: { a: { type: 'string' } }, required: ['a'] })).toEqual({ a: '' })
    expect(exampleInput({ minLength: 3 })).toBe('')
    expect(exampleInput({})).toBeNull()
    expect(exampleInput(true)).toBeNull()
    expect(exampleInput(false)).toBeUndefined()
  })

  it('puts a number in its range: minimum when 0 is below it, and a step over an exclusive bound', () => {
    expect(exampleInput({ type: 'number', minimum: 0.5 })).toBe(0.5)
    expect(exampleInput({ type: 'integer', minimum: 1, maximum: 10 })).toBe(1)
    expect(exampleInput({ type: 'integer', minimum: 2.5 })).toBe(3)
    expect(exampleInput({ type: 'integer', exclusiveMinimum: 0 })).toBe(1)
    expect(exampleInput({ type: 'number', maximum: -2 })).toBe(-2)
    expect(exampleInput({ type: 'integer', exclusiveMaximum: 0 })).toBe(-1)
    expect(exampleInput({ type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 })).toBe(0.5)
    // zod bounds every integer by the safe range: 0 is inside it.
    expect(exampleInput({ type: 'integer', minimum: -9007199254740991, maximum: 9007199254740991 })).toBe(0)
  })

  it('builds an object of its required properties and the optional ones with a default', () => {
    const schema = {
      type: 'object',
      properties: {
        name: { type: 'string' },
        size: { type: 'integer', default: 3 },
        note: { type: 'string' },
        nested: { type: 'object', properties: { on: { type: 'boolean' }, off: { type: 'boolean' } }, required: ['on'] },
      },
      required: ['name', 'nested', 'undeclared'],
    }
    expect(exampleInput(schema)).toEqual({ name: '', size: 3, nested: { on: false }, undeclared: null })
  })

  it('fills arrays to minItems and tuples item by item', () => {
    expect(exampleInput({ type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 2 })).toEqual([1, 1])
    expect(exampleInput({ type: 'array', prefixItems: [{ type: 'string' }, { type: 'boolean' }] })).toEqual(['', false])
  })

  it('takes the first branch of anyOf/oneOf that is not just null, and merges allOf', () => {
    expect(exampleInput({ anyOf: [{ type: 'null' }, { type: 'string', default: 's' }] })).toBe('s')
    expect(exampleInput({ oneOf: [{ type: 'integer' }, { type: 'string' }] })).toBe(0)
    expect(exampleInput({ anyOf: [{ type: 'null' }] })).toBeNull()
    const allOf = { allOf: [{ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }, { properties: { b: { default: 2 } } }] }
    expect(exampleInput(allOf)).toEqual({ a: '', b: 2 })
  })

  it('follows local references, against the root given, and stops where one recurses', () => {
    const tree = {
      $defs: { node: { type: 'object', properties: { label: { type: 'string' }, child: { $ref: '#/$defs/node' } }, required: ['label', 'child'] } },
      $ref: '#/$defs/node',
    }
    // The recursion ends where it would start over: the required child is left out, not expanded forever.
    expect(exampleInput(tree)).toEqual({ label: '' })
    expect(exampleInput(tree.$defs.node, { root: tree })).toEqual({ label: '', child: { label: '' } })
    const document = { components: { schemas: { JobInput: { $ref: '#/components/schemas/JobInput/$defs/a~1b' } } } }
    ;(document.components.schemas.JobInput as Record<string, unknown>)['$defs'] = { 'a/b': { type: 'integer', default: 7 } }
    expect(exampleInput(document.components.schemas.JobInput, { root: document })).toBe(7)
    // An optional property whose default sits behind a reference is included.
    const refDefault = { type: 'object', properties: { level: { $ref: '#/$defs/level' } }, $defs: { level: { type: 'integer', default: 2 } } }
    expect(exampleInput(refDefault)).toEqual({ level: 2 })
    expect(exampleInput({ $ref: 'other.json#/x' })).toBeUndefined()
    expect(exampleInput({ $ref: '#/nowhere' })).toBeUndefined()
  })

  it('resolves references inside a resource with its own $id against that resource', () => {
    const embedded = { $id: 'urn:input', $defs: { n: { type: 'number', minimum: 5 } }, type: 'object', properties: { n: { $ref: '#/$defs/n' } }, required: ['n'] }
    expect(exampleInput({ properties: { input: embedded }, required: ['input'] })).toEqual({ input: { n: 5 } })
  })

  it('hands out a copy: changing the example leaves the schema alone', () => {
    const schema = { type: 'object', default: { list: [1] } }
    const example = exampleInput(schema) as { list: number[] }
    example.list.push(2)
    expect(schema.default).toEqual({ list: [1] })
  })

  it("on zod's rendering: defaults, placeholders, enums, nullable and optional fields", () => {
    const defaults = z.object({ prompt: z.string().default('hello'), maxTokens: z.number().int().default(256) })
    expect(exampleInput(jsonSchemaOf(defaults))).toEqual({ prompt: 'hello', maxTokens: 256 })
    const required = z.object({
      name: z.string(),
      count: z.number().int(),
      ratio: z.number().min(0.5),
      id: z.number().int().positive(),
      on: z.boolean(),
      tags: z.array(z.string()),
      mode: z.enum(['fast', 'slow']),
      maybe: z.string().nullable(),
      nested: z.object({ deep: z.literal('x') }),
      note: z.string().optional(),
    })
    expect(exampleInput(jsonSchemaOf(required))).toEqual({
      name: '',
      count: 0,
      ratio: 0.5,
      id: 1,
      on: false,
      tags: [],
      mode: 'fast',
      maybe: '',
      nested: { deep: 'x' },
    })
  })

  it("on arktype's rendering", () => {
    const schema = type({ prompt: 'string', 'max?': 'number > 0', level: "'low' | 'high'" })
    expect(exampleInput(schema.toJsonSchema())).toEqual({ prompt: '', level: 'high' })
  })
})

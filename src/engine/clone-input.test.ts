import { describe, expect, it } from 'vitest'
import { cloneInput } from './clone-input.ts'

describe('cloneInput', () => {
  it('copies parsed JSON deeply: equal, and nothing shared', () => {
    const input = JSON.parse('{"a":[1,{"b":"x"},null],"c":{"d":true},"e":1.5}') as { a: [number, { b: string }, null]; c: { d: boolean } }
    const copy = cloneInput(input) as typeof input
    expect(copy).toStrictEqual(input)
    expect(copy).not.toBe(input)
    expect(copy.a).not.toBe(input.a)
    expect(copy.a[1]).not.toBe(input.a[1])
    expect(copy.c).not.toBe(input.c)
  })

  it('passes primitives through', () => {
    for (const value of ['text', 0, -1.5, true, null, undefined, 10n]) expect(cloneInput(value)).toBe(value)
  })

  it('keeps a parsed "__proto__" key as an own member, not as the prototype', () => {
    const input = JSON.parse('{"__proto__":{"polluted":true},"x":1}') as Record<string, unknown>
    const copy = cloneInput(input) as Record<string, unknown>
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype)
    expect(Object.keys(copy)).toEqual(['__proto__', 'x'])
    expect(copy['__proto__']).toEqual({ polluted: true })
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
  })

  it('copies objects without a prototype as such', () => {
    const input = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 })
    const copy = cloneInput(input) as Record<string, unknown>
    expect(Object.getPrototypeOf(copy)).toBeNull()
    expect(copy['a']).toBe(1)
  })

  it('hands what is not JSON to structuredClone: dates, maps, typed arrays, cycles', () => {
    const when = new Date(0)
    const input = { when, map: new Map([[1, 'one']]), bytes: new Uint8Array([1, 2]) }
    const copy = cloneInput(input) as typeof input
    expect(copy.when).toBeInstanceOf(Date)
    expect(copy.when).not.toBe(when)
    expect(copy.when.getTime()).toBe(0)
    expect(copy.map.get(1)).toBe('one')
    expect([...copy.bytes]).toEqual([1, 2])
    const cyclic: Record<string, unknown> = { name: 'loop' }
    cyclic['self'] = cyclic
    const copied = cloneInput(cyclic) as Record<string, unknown>
    expect(copied).not.toBe(cyclic)
    expect(copied['self']).toBe(copied)
  })

  it('passes an input nothing can copy as it is (a function inside)', () => {
    const input = { call: () => 1 }
    expect(cloneInput(input)).toBe(input)
  })

  it('keeps shared objects shared, as structuredClone does', () => {
    const shared = { n: 1 }
    const copy = cloneInput({ a: shared, b: [shared] }) as { a: object; b: object[] }
    expect(copy.a).toBe(copy.b[0])
    expect(copy.a).not.toBe(shared)
    expect(copy.a).toEqual({ n: 1 })
  })

  it('keeps holes as holes, as structuredClone does', () => {
    const copy = cloneInput({ list: [1, , 3] }) as { list: number[] }
    expect(1 in copy.list).toBe(false)
    expect(copy.list).toHaveLength(3)
    expect(copy.list[2]).toBe(3)
  })

  it('copies a deep chain of objects each shared by two members, keeping every level shared', () => {
    // Walked as a tree, this would be 2^16 paths and as many copies; 16 levels, so that a copy that
    // stopped seeing the sharing fails here rather than hangs.
    let node: Record<string, unknown> = { leaf: true }
    for (let level = 0; level < 16; level++) node = { a: node, b: node }
    const copy = cloneInput(node) as Record<string, Record<string, unknown>>
    // Booleans, not the objects: printing them walks every path too.
    expect(copy['a'] === copy['b']).toBe(true)
    expect(copy['a'] === node['a']).toBe(false)
    expect(copy['a']?.['a'] === copy['a']?.['b']).toBe(true)
  })

  it('passes an input through, never throwing, when a getter throws or it is a revoked proxy', () => {
    const throwing = {
      get broken(): never {
        throw new Error('no')
      },
    }
    expect(cloneInput(throwing)).toBe(throwing)
    const { proxy, revoke } = Proxy.revocable({}, {})
    revoke()
    expect(cloneInput(proxy)).toBe(proxy)
    const nested = { list: [proxy] }
    expect(cloneInput(nested)).toBe(nested)
  })
})

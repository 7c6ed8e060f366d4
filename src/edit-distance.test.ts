import { describe, expect, it } from 'vitest'
import { editDistance } from './edit-distance.ts'

describe('editDistance', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(editDistance('returnAggregatedStream', 'returnAggregateStream')).toBe(1)
    expect(editDistance('ttl', 'ttls')).toBe(1)
    expect(editDistance('kitten', 'sitting')).toBe(3)
    expect(editDistance('flaw', 'lawn')).toBe(2)
  })

  it('is 0 only for equal strings, and the other length against an empty one', () => {
    expect(editDistance('apiKey', 'apiKey')).toBe(0)
    expect(editDistance('apiKey', 'apikey')).toBe(1)
    expect(editDistance('', 'cors')).toBe(4)
    expect(editDistance('cors', '')).toBe(4)
  })

  it('is symmetric', () => {
    for (const [a, b] of [['maxQueue', 'maxQeue'], ['schema', 'shcema'], ['store', 'stores']] as const) {
      expect(editDistance(a, b)).toBe(editDistance(b, a))
    }
  })
})

import { describe, expect, it } from 'vitest'
import { describeStoreContract } from '../../../test/store-contract.ts'
import { memoryStore } from './memory-store.ts'

describeStoreContract('the in-memory store', () => ({ store: memoryStore() }))

describe('the in-memory store', () => {
  it('answers at once, never with a promise: a token stream pays no microtask per append', () => {
    const { jobs, dispatcher } = memoryStore()
    const created = jobs.create({ id: 'a', request: { input: 1 }, origin: 'run', queuedAt: 0, ttl: 60_000, executionTimeout: 60_000, keep: 60_000 })
    expect(created).not.toBeInstanceOf(Promise)
    expect(dispatcher.enqueue({ id: 'a', attempt: 1, lowPriority: false }, Infinity)).toBeUndefined()
    const [lease] = dispatcher.claim(1)
    const writer = jobs.start(lease!, 'w', 1)!
    expect(writer.append({ types: ['output'], jsons: ['1'] })).toBe(true)
    expect(writer.finish({ status: 'COMPLETED', finishedAt: 2 })).toBe(jobs.get('a'))
  })

  it('hands out its own state objects, which follow the job as it moves', () => {
    const { jobs, dispatcher } = memoryStore()
    const job = jobs.create({ id: 'a', request: { input: 1 }, origin: 'run', queuedAt: 0, ttl: 60_000, executionTimeout: 60_000, keep: 60_000 })
    dispatcher.enqueue({ id: 'a', attempt: 1, lowPriority: false }, Infinity)
    jobs.start(dispatcher.claim(1)[0]!, 'w', 1)
    expect(job.attempt.status).toBe('IN_PROGRESS')
  })

  it('tells a second engine of new work: onWork listeners hear every enqueue', () => {
    const { jobs, dispatcher } = memoryStore()
    let heard = 0
    dispatcher.onWork(() => heard++)
    jobs.create({ id: 'a', request: { input: 1 }, origin: 'run', queuedAt: 0, ttl: 60_000, executionTimeout: 60_000, keep: 60_000 })
    dispatcher.enqueue({ id: 'a', attempt: 1, lowPriority: false }, Infinity)
    expect(heard).toBe(1)
  })
})

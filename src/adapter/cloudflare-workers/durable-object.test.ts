import { describe, expect, it } from 'vitest'
import { registerDurableWorker } from './durable-registry.ts'
import { EdgepodJobs } from './durable-object.ts'
import type { DurableObjectStateLike } from './durable-object.ts'

/** A Durable Object's state with storage in a map, enough for the object to run. */
function stateInMemory(): DurableObjectStateLike {
  const data = new Map<string, unknown>()
  let alarm: number | null = null
  return {
    storage: {
      async put(entries) {
        for (const [key, value] of Object.entries(entries)) data.set(key, structuredClone(value))
      },
      async delete(keys) {
        return keys.filter((key) => data.delete(key)).length
      },
      async list<T>(options: { prefix: string }) {
        return new Map([...data].filter(([key]) => key.startsWith(options.prefix))) as Map<string, T>
      },
      async getAlarm() {
        return alarm
      },
      async setAlarm(time) {
        alarm = time
      },
    },
    blockConcurrencyWhile: (callback) => callback(),
  }
}

/** A request whose body streams in, as a forwarded one does, and which nothing has read yet. */
function streamingPost(url: string, text: string): Request {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(text))
      controller.close()
    },
  })
  return new Request(url, { method: 'POST', body, duplex: 'half' } as RequestInit)
}

describe('EdgepodJobs', () => {
  it('drops a body its answer did not need before it answers: workerd fails a forwarded request whose body still flows', async () => {
    registerDurableWorker({ handler: () => 'ok' })
    const object = new EdgepodJobs(stateInMemory(), {})
    // Refused on its query value, before the body is read.
    const badWait = streamingPost('http://do/runsync?wait=soon', JSON.stringify({ input: 1 }))
    const refused = await object.fetch(badWait)
    expect([refused.status, (await refused.json()).code]).toEqual([400, 'invalid_input'])
    expect(badWait.bodyUsed).toBe(true)
    // An unknown job, with a body nobody reads.
    const unknown = streamingPost('http://do/cancel/no-such-job', '{}')
    expect((await object.fetch(unknown)).status).toBe(404)
    expect(unknown.bodyUsed).toBe(true)
    // A body that was read stays as it was.
    const ok = streamingPost('http://do/runsync', JSON.stringify({ input: 1 }))
    expect(await (await object.fetch(ok)).json()).toMatchObject({ status: 'COMPLETED', output: 'ok' })
  })
})

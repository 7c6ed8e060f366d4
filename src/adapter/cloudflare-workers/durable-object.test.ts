/**
 * `EdgepodJobs` as per-job objects and a coordinator, in memory (test/helpers/durable-objects-in-memory.ts):
 * the Worker's routing, what each job costs the coordinator, the queue across objects, restarts of
 * a job's object and of the coordinator, and the outboxes replaying calls that failed. The same
 * objects run under workerd in test/durable-objects/ and the conformance suite ('workerd-do').
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { WorkerConfig } from '../../config.ts'
import { ObjectsInMemory } from '../../../test/helpers/durable-objects-in-memory.ts'
import { COORDINATOR_NAME, jobObjectName } from './coordination.ts'
import { registerDurableWorker } from './durable-registry.ts'
import { forwardingWorker } from './forwarding-worker.ts'

/** A handler whose jobs `{ gate: name }` wait for the test to open that gate. */
const gates = new Map<string, () => void>()
const opened = new Map<string, Promise<void>>()
const gate = (name: string) => {
  if (!opened.has(name)) opened.set(name, new Promise<void>((resolve) => gates.set(name, resolve)))
  return opened.get(name)!
}
const open = (name: string) => {
  gate(name)
  gates.get(name)!()
}
const started: string[] = []

const config: WorkerConfig = {
  handler: async function* (job: { input: { tag: string; gate?: string } }) {
    started.push(job.input.tag)
    if (job.input.gate) await gate(job.input.gate)
    yield job.input.tag
  },
  returnAggregateStream: true,
  concurrencyModifier: 1,
  maxQueue: 3,
}

/** A deployment in memory: the Worker and its objects. */
function deployment() {
  registerDurableWorker(config, 'EDGEPOD_JOBS')
  const objects = new ObjectsInMemory()
  const worker = forwardingWorker('EDGEPOD_JOBS')
  const call = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
    worker.fetch(new Request(`https://edgepod.test${path}`, body === undefined ? { headers } : { method: 'POST', body: JSON.stringify(body), headers }), objects.env)
  const json = async (path: string, body?: unknown): Promise<any> => (await call(path, body)).json()
  const submit = async (tag: string, extra: Record<string, unknown> = {}) => (await json('/run', { input: { tag, ...extra } })).id as string
  const coordinatorCalls = async (): Promise<Record<string, number>> =>
    (await objects.object(COORDINATOR_NAME).fetch(new Request('https://edgepod.internal/_edgepod/calls', { headers: { 'x-edgepod-object': COORDINATOR_NAME } }))).json()
  const statusOf = async (id: string) => (await json(`/status/${id}`)).status as string
  return { objects, call, json, submit, coordinatorCalls, statusOf }
}

/** Waits until `check` holds, turning the event loop (the objects' calls are promises and timers of 0 ms). */
async function until(check: () => boolean | Promise<boolean>, what: string) {
  for (let turns = 0; turns < 200; turns++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
  throw new Error(`never: ${what}`)
}

afterEach(() => {
  started.length = 0
  for (const name of [...gates.keys()]) open(name)
  gates.clear()
  opened.clear()
})

describe('EdgepodJobs, one object per job and a coordinator', () => {
  it('sends a job’s routes to its own object, and the deployment’s to the coordinator; nobody outside reaches the objects’ own paths', async () => {
    const { objects, json, call, submit } = deployment()
    const id = await submit('a')
    expect(await json(`/v2/endpoint/status/${id}`)).toMatchObject({ id, status: 'COMPLETED', output: ['a'] })
    expect(objects.requests.get(jobObjectName(id))).toBeGreaterThanOrEqual(2)
    expect((await json('/health')).jobs).toMatchObject({ completed: 1, inQueue: 0, inProgress: 0 })
    expect((await call('/_edgepod/calls')).status).toBe(404)
    expect((await call('/status/no-such-job')).status).toBe(404)
    expect((await call('/openapi.json')).status).toBe(200)
  })

  it('costs the coordinator 2 calls a job (queued, ended) and a grant when it waited; a reader costs it none', async () => {
    const { json, submit, coordinatorCalls, call } = deployment()
    const first = await submit('first', { gate: 'one' })
    const second = await submit('second')
    await until(() => started.includes('first'), 'the first job starts')
    expect(await coordinatorCalls()).toMatchObject({ enqueue: 2, ended: 0 })
    const before = await coordinatorCalls()
    for (let reads = 0; reads < 5; reads++) await json(`/status/${second}`)
    const stream = call(`/stream/${first}`, undefined, { accept: 'text/event-stream' })
    open('one')
    expect(await (await stream).text()).toContain('event: done')
    expect((await coordinatorCalls()).health).toBe(before.health)
    await until(async () => (await json(`/status/${second}`)).status === 'COMPLETED', 'the second job runs once the first ends')
    const calls = await coordinatorCalls()
    expect(calls).toMatchObject({ enqueue: 2, ended: 2, health: 0 })
  })

  it('queues past the deployment’s slots, FIFO with lowPriority after, refuses past maxQueue, and purges', async () => {
    const { json, submit, call, statusOf } = deployment()
    await submit('busy', { gate: 'busy' })
    await until(() => started.includes('busy'), 'busy starts')
    const low = (await json('/run', { input: { tag: 'low' }, policy: { lowPriority: true } })).id
    const a = await submit('a')
    const b = await submit('b')
    const refused = await call('/run', { input: { tag: 'c' } })
    expect([refused.status, (await refused.json()).code]).toEqual([429, 'queue_full'])
    expect((await json('/health')).jobs).toMatchObject({ inProgress: 1, inQueue: 3 })
    open('busy')
    await until(async () => (await statusOf(low)) === 'COMPLETED', 'the queue drains')
    expect(started).toEqual(['busy', 'a', 'b', 'low'])
    expect([await statusOf(a), await statusOf(b)]).toEqual(['COMPLETED', 'COMPLETED'])

    await submit('held', { gate: 'held' })
    await until(() => started.includes('held'), 'held starts')
    const queued = [await submit('q1'), await submit('q2')]
    expect(await json('/purge-queue', {})).toEqual({ removed: 2, status: 'completed' })
    await until(async () => (await statusOf(queued[1]!)) === 'CANCELLED', 'purged jobs end CANCELLED')
    expect(await statusOf(queued[0]!)).toBe('CANCELLED')
    open('held')
    await until(async () => (await json('/health')).jobs.inProgress === 0, 'the slot is free again')
    expect((await json('/health')).jobs).toMatchObject({ inQueue: 0, completed: 5 })
  })

  it('ends a job whose object restarted mid-run FAILED restarted, outputs kept, and gives its slot to the next', async () => {
    const { objects, json, submit, statusOf } = deployment()
    const running = await submit('running', { gate: 'never' })
    const next = await submit('next')
    await until(() => started.includes('running'), 'it starts')
    objects.restart(jobObjectName(running))
    expect(await json(`/status/${running}`)).toMatchObject({ status: 'FAILED', errorDetail: { code: 'restarted' } })
    await until(async () => (await statusOf(next)) === 'COMPLETED', 'the next job gets the slot')
  })

  it('keeps the queue through a restart of the coordinator', async () => {
    const { objects, submit, statusOf, json } = deployment()
    await submit('busy', { gate: 'busy' })
    const queued = [await submit('q1'), await submit('q2')]
    await until(() => started.includes('busy'), 'busy starts')
    objects.restart(COORDINATOR_NAME)
    expect((await json('/health')).jobs).toMatchObject({ inProgress: 1, inQueue: 2 })
    open('busy')
    await until(async () => (await statusOf(queued[1]!)) === 'COMPLETED', 'the queue drains after the restart')
    expect(started).toEqual(['busy', 'q1', 'q2'])
  })

  it('replays from storage an end the coordinator did not hear, and a grant the job’s object did not take', async () => {
    const { objects, submit, statusOf, json } = deployment()
    const first = await submit('first', { gate: 'first' })
    const second = await submit('second', { gate: 'second' })
    await until(() => started.includes('first'), 'first starts')
    // The end of the first does not reach the coordinator: its slot stays held.
    objects.failNextCallTo = new RegExp(COORDINATOR_NAME)
    open('first')
    await until(async () => (await statusOf(first)) === 'COMPLETED', 'first completes')
    expect(started).toEqual(['first'])
    expect((await json('/health')).jobs.inProgress).toBe(1)
    // The first's alarm replays its end; the grant that frees for the second fails once.
    objects.failNextCallTo = new RegExp(jobObjectName(second))
    await objects.object(jobObjectName(first)).alarm()
    await until(async () => (await json('/health')).jobs.completed === 1, 'the alarm replays the end')
    expect(started).toEqual(['first'])
    expect(objects.storages.get(COORDINATOR_NAME)!.alarm).not.toBeNull()
    await objects.fireAlarms()
    await until(() => started.includes('second'), 'the coordinator’s alarm replays the grant')
    open('second')
    await until(async () => (await statusOf(second)) === 'COMPLETED', 'second completes')
    expect((await json('/health')).jobs).toMatchObject({ completed: 2, inProgress: 0, inQueue: 0 })
  })

  it('drops a body its answer did not need before it answers: workerd fails a forwarded request whose body still flows', async () => {
    const { objects } = deployment()
    const worker = forwardingWorker('EDGEPOD_JOBS')
    const streamingPost = (url: string, text: string) =>
      new Request(url, {
        method: 'POST',
        body: new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode(text))
            controller.close()
          },
        }),
        duplex: 'half',
      } as RequestInit)
    const badWait = streamingPost('http://do/runsync?wait=soon', JSON.stringify({ input: 1 }))
    const refused = await worker.fetch(badWait, objects.env)
    expect([refused.status, (await refused.json()).code]).toEqual([400, 'invalid_input'])
    const unknown = streamingPost('http://do/cancel/no-such-job', '{}')
    expect((await worker.fetch(unknown, objects.env)).status).toBe(404)
  })
})

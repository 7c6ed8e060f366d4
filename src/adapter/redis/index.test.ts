/**
 * `redisStore` as real deployments use it, against real redis-servers: `rediss://` with a CA of
 * the deployment's own, a password, two deployments apart on one Redis by their prefixes, and the
 * URL's credentials nowhere a client or a log could show them.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { serverless } from '../../index.ts'
import { startRedis } from '../../../test/helpers/redis-server.ts'
import type { TestRedis } from '../../../test/helpers/redis-server.ts'
import { redisConfigFromEnv, redisStore } from './index.ts'
import type { RedisStore } from './index.ts'

const run = promisify(execFile)
const PASSWORD = 's3cr3t-Pa55word'

/** A CA and a server certificate for 127.0.0.1 it signed, made with openssl. */
async function certificates(dir: string) {
  const file = (name: string) => join(dir, name)
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=edgepod test CA', '-keyout', file('ca.key'), '-out', file('ca.pem')])
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', file('server.key'), '-out', file('server.csr')])
  await run('bash', [
    '-c',
    `openssl x509 -req -in ${file('server.csr')} -CA ${file('ca.pem')} -CAkey ${file('ca.key')} -CAcreateserial -days 1 -out ${file('server.pem')} -extfile <(printf 'subjectAltName=IP:127.0.0.1')`,
  ])
  return { ca: file('ca.pem'), cert: file('server.pem'), key: file('server.key') }
}

const handler = async function* (job: { input: { n: number } }) {
  for (let i = 0; i < job.input.n; i++) yield i
}

const stores: RedisStore[] = []
const open = async (...args: Parameters<typeof redisStore>) => {
  const store = await redisStore(...args)
  stores.push(store)
  return store
}
const workerOn = (store: RedisStore) => serverless.start({ handler, store, returnAggregateStream: true })
const request = (worker: ReturnType<typeof workerOn>, path: string, body?: unknown) =>
  worker.fetch(new Request(`http://edgepod.test${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) }))

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()))
  vi.restoreAllMocks()
})

describe('a Redis behind TLS and a password', () => {
  let dir: string
  let redis: TestRedis
  let ca: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgepod-tls-'))
    const files = await certificates(dir)
    ca = await readFile(files.ca, 'utf8')
    redis = await startRedis({
      scheme: 'rediss',
      password: PASSWORD,
      args: ['--tls-cert-file', files.cert, '--tls-key-file', files.key, '--tls-ca-cert-file', files.ca, '--tls-auth-clients', 'no'],
    })
  })

  afterAll(async () => {
    await redis?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('serves jobs over rediss:// with the password of the URL and the CA it is given', async () => {
    expect(redis.url).toMatch(/^rediss:\/\/:s3cr3t-Pa55word@127\.0\.0\.1:\d+$/)
    const worker = workerOn(await open({ url: redis.url, ca, prefix: 'tls' }))
    const response = await request(worker, '/runsync', { input: { n: 3 } })
    expect(await response.json()).toMatchObject({ status: 'COMPLETED', output: [0, 1, 2] })
  })

  it('shows the password nowhere: not in /health, /openapi.json, errors or logs, even while Redis is down', async () => {
    const logged: string[] = []
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void logged.push(args.map((arg) => (arg instanceof Error ? `${arg.message} ${arg.stack} ${String(arg.cause)}` : String(arg))).join(' ')))
    const worker = workerOn(await open({ url: redis.url, ca, prefix: 'tls' }))
    const said: string[] = []
    for (const path of ['/health', '/openapi.json']) said.push(await (await request(worker, path)).text())
    await redis.stop()
    try {
      const refused = await request(worker, '/run', { input: { n: 1 } })
      expect(refused.status).toBe(503)
      said.push(await refused.text())
      said.push(await (await request(worker, '/health')).text())
    } finally {
      await redis.restart()
    }
    expect(said.join('\n')).toContain('store_unavailable')
    expect(said.join('\n')).toContain('rediss://127.0.0.1')
    expect(logged.join('\n')).toContain('unreachable')
    for (const text of [...said, ...logged]) expect(text).not.toContain(PASSWORD)
  })

  it('refuses a wrong password with a clear error, without saying the password', async () => {
    const wrong = redis.url.replace(PASSWORD, 'not-the-password')
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const failure = await open({ url: wrong, ca, prefix: 'tls' }).then(
      () => undefined,
      (error: unknown) => error as Error
    )
    expect(failure?.message).toMatch(/^Redis refused the credentials of rediss:\/\/127\.0\.0\.1:\d+ \((NOAUTH|WRONGPASS) /)
    expect(`${failure!.message} ${String(failure!.cause)}`).not.toContain('not-the-password')
  })

  it('answers 503 store_unavailable, saying why, while the server’s certificate is not one its CA signed', async () => {
    const logged: string[] = []
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void logged.push(args.join(' ')))
    const worker = workerOn(await open({ url: redis.url, prefix: 'tls' }))
    const refused = await request(worker, '/health')
    expect(refused.status).toBe(503)
    expect((await refused.json()).error).toMatch(/certificate/)
    expect(logged.join('\n')).toMatch(/certificate/)
  })
})

describe('two deployments on one Redis', () => {
  let redis: TestRedis

  beforeAll(async () => {
    redis = await startRedis()
  })

  afterAll(async () => {
    await redis?.close()
  })

  it('keep apart by their prefixes: jobs, counts and queues', async () => {
    const a = workerOn(await open({ url: redis.url, prefix: 'deployment-a' }))
    const b = workerOn(await open({ url: redis.url, prefix: 'deployment-b' }))
    const { id } = await (await request(a, '/runsync', { input: { n: 1 } })).json()
    expect((await request(a, `/status/${id}`)).status).toBe(200)
    const elsewhere = await request(b, `/status/${id}`)
    expect([elsewhere.status, (await elsewhere.json()).code]).toEqual([404, 'job_not_found'])
    expect((await (await request(a, '/health')).json()).jobs.completed).toBe(1)
    expect((await (await request(b, '/health')).json()).jobs.completed).toBe(0)
    // Every key of either is under its own prefix; b has only its member's entry.
    const keys = (await redis.cli('--scan')).split('\n').filter(Boolean)
    expect(keys.filter((key) => key.includes(id))).toEqual(expect.arrayContaining([`{deployment-a}:job:${id}`, `{deployment-a}:log:${id}`]))
    expect(keys.filter((key) => !key.startsWith('{deployment-a}:') && !key.startsWith('{deployment-b}:'))).toEqual([])
    expect(keys.filter((key) => key.startsWith('{deployment-b}:'))).toEqual(['{deployment-b}:members'])
  })
})

describe('members of one deployment, in one process here', () => {
  let redis: TestRedis

  beforeAll(async () => {
    redis = await startRedis()
  })

  afterAll(async () => {
    await redis?.close()
  })

  /** A gate a test opens. */
  const gate = () => {
    let open!: () => void
    const opened = new Promise<void>((resolve) => (open = resolve))
    return { opened, open }
  }

  /**
   * A member with one slot, whose job `{ tag }` waits for `gateOf(tag)` and yields its tag; the
   * tags it started are pushed on `started`.
   */
  async function gatedMember(prefix: string, gateOf: (tag: string) => Promise<void>, started: string[], maxQueue?: number) {
    const store = await open({ url: redis.url, prefix })
    return serverless.start({
      store,
      concurrencyModifier: 1,
      maxQueue,
      handler: async function* (job: { input: { tag: string } }) {
        started.push(job.input.tag)
        await gateOf(job.input.tag)
        yield job.input.tag
      },
    })
  }
  type Member = Awaited<ReturnType<typeof gatedMember>>
  const ask = (worker: Member, path: string, body?: unknown) =>
    worker.fetch(new Request(`http://edgepod.test${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) }))
  const submit = (worker: Member, tag: string, lowPriority = false) =>
    ask(worker, '/run', { input: { tag }, ...(lowPriority ? { policy: { lowPriority: true } } : {}) })

  it('claim only for their own free slots, and share the queue limit, /health and /purge-queue', async () => {
    const release = gate()
    const started: string[] = []
    const a = await gatedMember('slots', () => release.opened, started, 3)
    const b = await gatedMember('slots', () => release.opened, started, 3)
    await submit(a, 'first')
    await submit(b, 'second')
    await vi.waitFor(() => expect([...started].sort()).toEqual(['first', 'second']))
    await submit(a, 'low', true)
    await submit(b, 'third')
    const queued = await (await submit(a, 'fourth')).json()
    // The limit counts the deployment's queue, whichever member is asked.
    const refused = await submit(b, 'fifth')
    expect([refused.status, (await refused.json()).code]).toEqual([429, 'queue_full'])
    expect(started).toHaveLength(2)
    for (const worker of [a, b]) {
      expect(await (await ask(worker, '/health')).json()).toMatchObject({ jobs: { inProgress: 2, inQueue: 3 }, workers: { running: 2, idle: 0 } })
    }
    // Purged from b, a job a queued is cancelled.
    await ask(b, '/purge-queue', {})
    expect((await (await ask(a, `/status/${queued.id}`)).json()).status).toBe('CANCELLED')
    expect((await (await ask(a, '/health')).json()).jobs.inQueue).toBe(0)
    release.open()
    await vi.waitFor(async () => expect((await (await ask(a, '/health')).json()).workers).toMatchObject({ running: 0, idle: 2 }))
  })

  it('start the queued jobs of every member in order: FIFO, lowPriority after', async () => {
    // b's slot stays taken: a alone takes the queue, one job at a time.
    const forBusyB = gate()
    const release = gate()
    const started: string[] = []
    const a = await gatedMember('order', (tag) => (tag === 'busy-b' ? forBusyB.opened : release.opened), started)
    const b = await gatedMember('order', (tag) => (tag === 'busy-b' ? forBusyB.opened : release.opened), started)
    await submit(b, 'busy-b')
    await vi.waitFor(() => expect(started).toEqual(['busy-b']))
    await submit(a, 'busy-a')
    await vi.waitFor(() => expect(started).toHaveLength(2))
    for (const [index, tag] of ['low-1', 'q-1', 'low-2', 'q-2', 'q-3'].entries()) await submit(index % 2 ? b : a, tag, tag.startsWith('low'))
    release.open()
    await vi.waitFor(() => expect(started).toHaveLength(7))
    expect(started).toEqual(['busy-b', 'busy-a', 'q-1', 'q-2', 'q-3', 'low-1', 'low-2'])
    forBusyB.open()
  })

  it('remove a job whose member died between making it and queueing it, and queue a retry so left', async () => {
    const store = await open({ url: redis.url, prefix: 'orphans', leaseMs: 300 })
    // What a member that died after its first script leaves: a job made, never queued.
    await store.jobs.create({ id: 'orphan', request: { input: {} }, origin: 'run', queuedAt: Date.now(), ttl: 60_000, executionTimeout: 60_000, keep: 60_000 })
    expect((await store.dispatcher.health({ idle: 1, running: 0 })).jobs.inQueue).toBe(1)
    await vi.waitFor(async () => {
      await store.dispatcher.sweep({ idle: 1, running: 0 })
      expect(await store.jobs.get('orphan')).toBeUndefined()
    })
    expect((await store.dispatcher.health({ idle: 1, running: 0 })).jobs.inQueue).toBe(0)
    // A member that sweeps too late to queue its own job is told the submission failed.
    await store.jobs.create({ id: 'slow', request: { input: {} }, origin: 'run', queuedAt: Date.now(), ttl: 60_000, executionTimeout: 60_000, keep: 60_000 })
    await vi.waitFor(async () => {
      await store.dispatcher.sweep({ idle: 1, running: 0 })
      expect(await store.jobs.get('slow')).toBeUndefined()
    })
    await expect(Promise.resolve(store.dispatcher.enqueue({ id: 'slow', attempt: 1, lowPriority: false }, Infinity))).rejects.toMatchObject({ code: 'store_unavailable' })
    expect(await store.dispatcher.claim(10)).toEqual([])
  })

  it('hold two connections each, whatever their load: 40 readers on 40 jobs', async () => {
    const clientsBefore = Number(await redis.cli('INFO', 'clients').then((info) => /connected_clients:(\d+)/.exec(info)![1]))
    const store = await open({ url: redis.url, prefix: 'connections' })
    const worker = serverless.start({
      store,
      handler: async function* (job: { input: { n: number } }) {
        for (let i = 0; i < job.input.n; i++) {
          yield i
          await new Promise((resolve) => setTimeout(resolve, 10))
        }
      },
    })
    const ids = await Promise.all(Array.from({ length: 40 }, async () => (await (await request(worker, '/run', { input: { n: 20 } })).json()).id as string))
    const readers = ids.map(async (id) => (await worker.fetch(new Request(`http://edgepod.test/stream/${id}`, { headers: { accept: 'text/event-stream' } }))).text())
    const during = Number(await redis.cli('INFO', 'clients').then((info) => /connected_clients:(\d+)/.exec(info)![1]))
    const bodies = await Promise.all(readers)
    for (const body of bodies) expect(body).toContain('event: done')
    // redis-cli's own connection is in both counts.
    expect(during - clientsBefore).toBe(2)
  })
})

describe('redisConfigFromEnv', () => {
  it('reads the URL, the prefix and the lease, and nothing without a URL', () => {
    expect(redisConfigFromEnv({})).toBeUndefined()
    expect(redisConfigFromEnv({ EDGEPOD_REDIS_URL: 'redis://h:1', EDGEPOD_REDIS_PREFIX: 'p', EDGEPOD_LEASE_MS: '5000' })).toEqual({
      url: 'redis://h:1',
      prefix: 'p',
      leaseMs: 5000,
    })
  })

  it('refuses a lease too short to renew and a URL of another scheme, naming the setting', async () => {
    await expect(redisStore({ url: 'redis://127.0.0.1:1', leaseMs: 100 })).rejects.toThrow(/at least 300 ms \(leaseMs, EDGEPOD_LEASE_MS\)/)
    await expect(redisStore({ url: 'http://user:pw@127.0.0.1:1' })).rejects.toThrow(/must start with redis:\/\/ or rediss:\/\/, got http:\/\/127\.0\.0\.1:1/)
  })
})

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

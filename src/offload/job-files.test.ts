/**
 * A job's files through the worker's routes, against a real S3-compatible server, read back with
 * the AWS SDK: `job.upload` of every kind of body into the bucket of the request's `s3Config`, of
 * the worker's `bucket` option or of RunPod's `BUCKET_*` variables; outputs and results over the
 * limits spilled there with `spill`, standing as `{url, size, contentType}` in events and status;
 * failed uploads failing the job `upload_failed` with its outputs kept; and the credentials seen
 * nowhere a client, a webhook receiver or a log could see them.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { serverless } from '../index.ts'
import type { WorkerConfig } from '../config.ts'
import { serve } from '../adapter/node/index.ts'
import type { NodeServer } from '../adapter/node/index.ts'
import { startS3 } from '../../test/helpers/s3-server.ts'
import type { TestS3 } from '../../test/helpers/s3-server.ts'

let s3: TestS3
beforeAll(async () => {
  s3 = await startS3()
})
afterAll(async () => {
  await s3?.close()
})
const servers: NodeServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
  vi.restoreAllMocks()
})

type Handler = WorkerConfig['handler']

/** A worker and a way to post a job to it (`env` is the runtime's, as an adapter passes it). */
function workerWith(config: Omit<WorkerConfig, 'handler'> & { handler: Handler }, env: Record<string, string> = {}) {
  const worker = serverless.start(config as WorkerConfig)
  const ask = (path: string, body?: unknown) =>
    Promise.resolve(worker.fetch(new Request(`http://edgepod.test${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) }), env))
  const json = async (path: string, body?: unknown): Promise<any> => (await ask(path, body)).json()
  return { worker, ask, json }
}

/** The key of an object from its presigned URL (path-style: `/<bucket>/<key>`). */
const keyOf = (url: string) => decodeURIComponent(new URL(url).pathname.split('/').slice(2).join('/'))

const fetchText = async (url: string) => (await fetch(url)).text()

const big = (n: number) => 'x'.repeat(n)

describe('job.upload', () => {
  it('puts a string, bytes, a Blob and a stream in the request’s s3Config bucket, each fetchable at its URL and read back by the SDK', async () => {
    const { json } = workerWith({
      returnAggregateStream: true,
      handler: async function* (job) {
        yield await job.upload('a string')
        yield await job.upload(new Uint8Array([1, 2, 3]), { name: 'bytes.bin' })
        yield await job.upload(new Blob(['{"a":1}'], { type: 'application/json' }), { name: 'nested/../blob.json' })
        const parts = ['streamed ', 'in ', 'chunks']
        const stream = new ReadableStream<Uint8Array>({ pull: (c) => (parts.length ? c.enqueue(new TextEncoder().encode(parts.shift()!)) : c.close()) })
        yield await job.upload(stream, { name: 'stream.txt', contentType: 'text/plain' })
      },
    })
    const status = await json('/runsync', { input: {}, s3Config: s3.s3Config })
    expect(status.status).toBe('COMPLETED')
    const [text, bytes, blob, streamed] = status.output
    expect(text).toEqual({ url: expect.any(String), size: 8, contentType: 'text/plain; charset=utf-8' })
    expect(keyOf(text.url)).toBe(`${status.id}/file-1.txt`)
    expect(await fetchText(text.url)).toBe('a string')
    expect(bytes).toMatchObject({ size: 3, contentType: 'application/octet-stream' })
    expect((await s3.read(keyOf(bytes.url)))?.bytes).toEqual(new Uint8Array([1, 2, 3]))
    // `..` never leaves the job's folder.
    expect(keyOf(blob.url)).toBe(`${status.id}/nested/blob.json`)
    expect(await s3.read(`${status.id}/nested/blob.json`)).toEqual({ bytes: new TextEncoder().encode('{"a":1}'), contentType: 'application/json' })
    expect(streamed).toMatchObject({ size: 18, contentType: 'text/plain' })
    expect(await fetchText(streamed.url)).toBe('streamed in chunks')
  })

  it('uses the worker’s bucket (with its prefix) when the request has no s3Config, then RunPod’s BUCKET_* variables', async () => {
    const handler: Handler = async (job) => ({ file: await job.upload('hi', { name: 'hi.txt' }) })
    const configured = workerWith({ handler, bucket: { ...s3.s3Config, prefix: 'outputs/' } })
    const fromConfig = await configured.json('/runsync', { input: {} })
    expect(keyOf(fromConfig.output.file.url)).toBe(`outputs/${fromConfig.id}/hi.txt`)
    expect(await fetchText(fromConfig.output.file.url)).toBe('hi')

    const env = { BUCKET_ENDPOINT_URL: s3.endpointUrl, BUCKET_NAME: s3.bucketName, BUCKET_ACCESS_KEY_ID: s3.accessId, BUCKET_SECRET_ACCESS_KEY: s3.accessSecret }
    const fromEnv = await workerWith({ handler }, env).json('/runsync', { input: {} })
    expect(keyOf(fromEnv.output.file.url)).toBe(`${fromEnv.id}/hi.txt`)
    expect(await fetchText(fromEnv.output.file.url)).toBe('hi')
  })

  it('fails the job upload_failed when there is no bucket or it cannot be reached, keeping what was streamed; a handler may catch it', async () => {
    const handler: Handler = async function* (job: { input: { catch?: boolean }; upload: (body: string) => Promise<unknown> }) {
      yield 'before'
      try {
        yield await job.upload('x')
      } catch (error) {
        if (!job.input.catch) throw error
        yield `caught ${(error as Error).name}`
      }
    }
    const { json } = workerWith({ handler, returnAggregateStream: true })
    const none = await json('/runsync', { input: {} })
    expect(none).toMatchObject({ status: 'FAILED', output: ['before'], errorDetail: { type: 'UploadError', code: 'upload_failed' } })
    expect(none.error).toContain('job.upload has no bucket: send s3Config with the request')
    const unreachable = await json('/runsync', { input: {}, s3Config: { ...s3.s3Config, endpointUrl: 'http://127.0.0.1:9' } })
    expect(unreachable).toMatchObject({ status: 'FAILED', output: ['before'], errorDetail: { type: 'UploadError', code: 'upload_failed' } })
    expect(unreachable.error).toMatch(/^uploading file-1\.txt failed: putting \S+ in bucket edgepod-test at 127\.0\.0\.1:9 failed: fetch failed/)
    const caught = await json('/runsync', { input: { catch: true } })
    expect(caught).toMatchObject({ status: 'COMPLETED', output: ['before', 'caught UploadError'] })
  })

  it('puts a retry’s files apart, so that the first attempt’s events still point at its own', async () => {
    let attempt = 0
    const { json } = workerWith({
      handler: async (job) => {
        const file = await job.upload(`attempt ${++attempt}`, { name: 'out.txt' })
        if (attempt === 1) throw new Error('first attempt fails')
        return file
      },
    })
    const first = await json('/runsync', { input: {}, s3Config: s3.s3Config })
    expect(first.status).toBe('FAILED')
    await json(`/retry/${first.id}`, {})
    await vi.waitFor(async () => expect((await json(`/status/${first.id}`)).status).toBe('COMPLETED'))
    const second = await json(`/status/${first.id}`)
    expect(keyOf(second.output.url)).toBe(`${first.id}/attempt-2/out.txt`)
    expect(await s3.read(`${first.id}/out.txt`)).toMatchObject({ bytes: new TextEncoder().encode('attempt 1') })
    expect(await fetchText(second.output.url)).toBe('attempt 2')
  })
})

describe('spill', () => {
  it('puts an output over maxEventBytes in the bucket and streams {url, size, contentType} in its place, in order', async () => {
    const { ask, json } = workerWith({
      spill: true,
      maxEventBytes: 1000,
      returnAggregateStream: true,
      handler: async function* () {
        yield 'small'
        yield { text: big(5000) }
        yield 'after'
      },
    })
    const stream = await (await ask('/stream', { input: {}, s3Config: s3.s3Config })).text()
    const outputs = [...stream.matchAll(/event: output\ndata: (.*)\n/g)].map((match) => JSON.parse(match[1]!))
    expect(outputs).toEqual(['small', { url: expect.any(String), size: 5011, contentType: 'application/json' }, 'after'])
    expect(keyOf(outputs[1].url)).toMatch(/\/output-2\.json$/)
    expect(JSON.parse(await fetchText(outputs[1].url))).toEqual({ text: big(5000) })
    const id = /^id: \d+\nevent: output/m.test(stream) ? stream.match(/"id":"([^"]+)"/)![1] : undefined
    expect((await json(`/status/${id}`)).output).toEqual(outputs)
  })

  it('spills the outputs that would take the job over maxResultBytes, a result over it, and a concat aggregate over it', async () => {
    const over = workerWith({
      spill: true,
      maxResultBytes: 10_000,
      returnAggregateStream: true,
      handler: async function* () {
        for (let i = 0; i < 4; i++) yield big(4000)
      },
    })
    const outputs = (await over.json('/runsync', { input: {}, s3Config: s3.s3Config })).output
    expect(outputs.slice(0, 2)).toEqual([big(4000), big(4000)])
    expect(outputs.slice(2)).toEqual([expect.objectContaining({ size: 4002 }), expect.objectContaining({ size: 4002 })])

    const result = await workerWith({ spill: true, maxResultBytes: 1000, handler: () => ({ text: big(3000) }) }).json('/runsync', { input: {}, s3Config: s3.s3Config })
    expect(result).toMatchObject({ status: 'COMPLETED', output: { size: 3011, contentType: 'application/json' } })
    expect(keyOf(result.output.url)).toBe(`${result.id}/result.json`)
    expect(JSON.parse(await fetchText(result.output.url))).toEqual({ text: big(3000) })

    // The third output is spilled, its event a file; the aggregate folds the text itself, and is spilled at the end.
    const concat = await workerWith({
      spill: true,
      maxResultBytes: 3000,
      aggregate: 'concat',
      handler: async function* () {
        for (let i = 0; i < 3; i++) yield big(1200)
      },
    }).json('/runsync', { input: {}, s3Config: s3.s3Config })
    expect(concat).toMatchObject({ status: 'COMPLETED', output: { size: 3602, contentType: 'application/json' } })
    expect(keyOf(concat.output.url)).toBe(`${concat.id}/aggregate.json`)
    expect(JSON.parse(await fetchText(concat.output.url))).toBe(big(3600))
  })

  it('fails payload_too_large as before with spill off, or with no bucket for the job', async () => {
    const handler: Handler = async function* () {
      yield big(5000)
    }
    const off = await workerWith({ maxEventBytes: 1000, handler, bucket: s3.s3Config }).json('/runsync', { input: {} })
    expect(off).toMatchObject({ status: 'FAILED', errorDetail: { code: 'payload_too_large' } })
    const noBucket = await workerWith({ spill: true, maxEventBytes: 1000, handler }).json('/runsync', { input: {} })
    expect(noBucket).toMatchObject({ status: 'FAILED', errorDetail: { code: 'payload_too_large' } })
  })

  it('fails the job upload_failed when the spill cannot be put, keeping the outputs before it', async () => {
    const status = await workerWith({
      spill: true,
      maxEventBytes: 1000,
      returnAggregateStream: true,
      handler: async function* () {
        yield 'kept'
        yield big(5000)
        yield 'never'
      },
    }).json('/runsync', { input: {}, s3Config: { ...s3.s3Config, accessSecret: 'wrong-secret-value' } })
    expect(status).toMatchObject({ status: 'FAILED', output: ['kept'], errorDetail: { type: 'UploadError', code: 'upload_failed' } })
    expect(status.error).toContain('SignatureDoesNotMatch')
  })
})

describe('credentials', () => {
  it('never show in a status, an event, a webhook, a log, an error or the OpenAPI document', async () => {
    const secret = s3.accessSecret
    const wrong = 'a-wrong-secret-that-must-not-leak'
    const webhookBodies: string[] = []
    const receiver = await serve({ fetch: async (request) => (webhookBodies.push(await request.text()), new Response('ok')) }, { port: 0 })
    servers.push(receiver)
    const logged: string[] = []
    for (const method of ['log', 'error', 'warn', 'info', 'debug'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' ')))
    }
    const { ask, json } = workerWith({
      spill: true,
      maxEventBytes: 1000,
      returnAggregateStream: true,
      bucket: { ...s3.s3Config, accessSecret: secret },
      webhooks: { attempts: 1 },
      handler: async function* (job) {
        job.log('uploading')
        yield await job.upload('file')
        yield big(2000)
      },
    })
    const seen: string[] = []
    const ok = await ask('/stream', { input: {}, s3Config: s3.s3Config, webhook: `${receiver.url}/hook` })
    seen.push(await ok.text())
    const id = seen[0]!.match(/"id":"([^"]+)"/)![1]
    seen.push(await (await ask(`/status/${id}?logs=1`)).text())
    const failed = await json('/runsync', { input: {}, s3Config: { ...s3.s3Config, accessSecret: wrong }, webhook: `${receiver.url}/hook` })
    seen.push(JSON.stringify(failed), await (await ask(`/status/${failed.id}?logs=1`)).text(), await (await ask('/openapi.json')).text())
    await vi.waitFor(() => expect(webhookBodies).toHaveLength(2))
    expect(failed.errorDetail.code).toBe('upload_failed')
    // s3rver takes one key pair, whose id is its secret too; the id is public by design, in every
    // presigned URL (X-Amz-Credential), so it is taken out of what is searched for the secret.
    const withoutKeyIds = (text: string) => text.replace(/X-Amz-Credential=[^&"\s]*/g, '')
    expect(seen[0]).toContain('X-Amz-Credential=')
    for (const text of [...seen, ...webhookBodies, ...logged].map(withoutKeyIds)) {
      expect(text).not.toContain(secret)
      expect(text).not.toContain(wrong)
    }
  })

  it('refuses a request whose s3Config names a bucket half-way, naming the keys', async () => {
    const { ask } = workerWith({ handler: () => 'x' })
    const refused = await ask('/run', { input: {}, s3Config: { accessId: 'a', bucketName: '', endpointUrl: 'ftp://x' } })
    expect(refused.status).toBe(400)
    const body = await refused.json()
    expect(body.code).toBe('invalid_input')
    expect(body.details.map((issue: { path: string[] }) => issue.path.join('.'))).toEqual(['s3Config.accessSecret', 's3Config.bucketName', 's3Config.endpointUrl'])
    // An s3Config of the handler's own, with none of RunPod's keys, is passed as it is.
    expect((await ask('/run', { input: {}, s3Config: { mine: true } })).status).toBe(200)
  })

  it('refuses a bad bucket option at start-up, naming what is wrong', () => {
    const handler = () => 'x'
    expect(() => serverless.start({ handler, bucket: { ...s3.s3Config, accessSecret: '' } })).toThrow('edgepod: bucket .accessSecret must be a non-empty string')
    expect(() => serverless.start({ handler, bucket: { r2: 'FILES' } as never })).toThrow('edgepod: bucket .publicUrl is needed with r2')
    expect(() => serverless.start({ handler, bucket: { ...s3.s3Config, urlExpiry: 700_000 } })).toThrow('edgepod: bucket .urlExpiry must be a whole number of seconds from 1 to 604800')
  })
})

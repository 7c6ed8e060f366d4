/**
 * An R2 binding as the worker's bucket, under wrangler dev (workerd, Miniflare's local R2): a
 * file put whole, a stream of unknown length in parts (which R2's binding cannot take in one put),
 * an output spilled over `maxEventBytes`, each at the bucket's public URL under the prefix and
 * read back through the binding; and a binding the Worker lacks failing the job `upload_failed`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchWorkerd } from '../../test/conformance/runtimes/workerd.ts'
import type { RuntimeServer } from '../../test/conformance/runtimes/runtime.ts'

let server: RuntimeServer
beforeAll(async () => {
  server = await launchWorkerd('test/fixtures/r2-worker.ts', { extraConfig: ['[[r2_buckets]]', 'binding = "FILES"', 'bucket_name = "edgepod-files"'] })
}, 60_000)
afterAll(async () => {
  await server?.stop()
})

const runsync = async (path: string, input: unknown) => (await fetch(`${server.url}${path}`, { method: 'POST', body: JSON.stringify({ input }) })).json()
/** The key under the bucket's public URL. */
const keyOf = (url: string) => decodeURIComponent(new URL(url).pathname.slice(1))

describe('an R2 binding as the bucket', () => {
  it('puts files and spilled outputs under the prefix, at the public URL, read back through the binding', async () => {
    const status = await runsync('/runsync', { streamMiB: 10 })
    expect(status.status).toBe('COMPLETED')
    const [hello, streamed, spilled] = status.output
    expect(hello).toEqual({ url: `https://files.example.com/outputs/${status.id}/hello.txt`, size: 18, contentType: 'text/plain; charset=utf-8' })
    const read = await fetch(`${server.url}/_r2/${keyOf(hello.url)}`)
    expect([await read.text(), read.headers.get('content-type')]).toEqual(['hello from workerd', 'text/plain; charset=utf-8'])

    expect(streamed).toMatchObject({ size: 10 * 1024 * 1024, contentType: 'application/octet-stream' })
    const bytes = new Uint8Array(await (await fetch(`${server.url}/_r2/${keyOf(streamed.url)}`)).arrayBuffer())
    expect(bytes.byteLength).toBe(10 * 1024 * 1024)
    expect([bytes[0], bytes[1024 * 1024], bytes[bytes.byteLength - 1]]).toEqual([0, 1, 9])

    expect(spilled).toMatchObject({ url: `https://files.example.com/outputs/${status.id}/output-3.json`, contentType: 'application/json' })
    expect(await (await fetch(`${server.url}/_r2/${keyOf(spilled.url)}`)).json()).toEqual({ big: 'x'.repeat(5000) })
  })

  it('fails the job upload_failed when the Worker has no such binding', async () => {
    const status = await runsync('/missing/runsync', {})
    expect(status).toMatchObject({ status: 'FAILED', output: [], errorDetail: { type: 'UploadError', code: 'upload_failed' } })
    expect(status.error).toBe("the worker's bucket is the R2 binding MISSING, which this job's env does not have")
  })
})

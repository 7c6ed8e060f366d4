/**
 * The S3 bucket against a real S3-compatible server (s3rver, which checks SigV4): a body whole and
 * a stream of unknown length in parts, read back with the AWS SDK; presigned GETs that plain
 * `fetch` reads and that a changed signature breaks; public URLs; refusals that say why without a
 * credential, and retries that give up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startS3 } from '../../test/helpers/s3-server.ts'
import type { TestS3 } from '../../test/helpers/s3-server.ts'
import { PART_BYTES } from './parts.ts'
import { BucketRefusal } from './retry.ts'
import { regionOf, s3Bucket } from './s3-bucket.ts'

let s3: TestS3
beforeAll(async () => {
  s3 = await startS3()
})
afterAll(async () => {
  await s3?.close()
})

/** A stream of `parts` chunks of `size` bytes, byte `i` of chunk `n` being `(n + i) % 251`, with no length told. */
function numberedStream(chunks: number, size: number): { stream: ReadableStream<Uint8Array>; expected: Uint8Array } {
  const expected = new Uint8Array(chunks * size)
  for (let n = 0; n < chunks; n++) for (let i = 0; i < size; i++) expected[n * size + i] = (n + i) % 251
  let sent = 0
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent === chunks) return controller.close()
      controller.enqueue(expected.slice(sent * size, ++sent * size))
    },
  })
  return { stream, expected }
}

describe('an S3 bucket', () => {
  it('puts a body whole, with its content type, and hands out a presigned GET that only works as signed', async () => {
    const bucket = s3Bucket(s3.s3Config)
    const body = new TextEncoder().encode('{"hello":"world"}')
    expect(await bucket.put('job-1/out.json', body, 'application/json')).toBe(body.byteLength)
    expect(await s3.read('job-1/out.json')).toEqual({ bytes: body, contentType: 'application/json' })
    const url = await bucket.urlOf('job-1/out.json')
    expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('604800')
    const fetched = await fetch(url)
    expect([fetched.status, await fetched.text()]).toEqual([200, '{"hello":"world"}'])
    const tampered = await fetch(url.replace(/X-Amz-Signature=(.)/, (_, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`))
    expect(tampered.status).toBe(403)
    await tampered.body?.cancel()
  })

  it('puts a stream of unknown length as a multipart upload, and the SDK reads back every byte', async () => {
    const { stream, expected } = numberedStream(21, 1024 * 1024)
    const bucket = s3Bucket(s3.s3Config)
    expect(await bucket.put('job-2/big.bin', stream, 'application/octet-stream')).toBe(expected.byteLength)
    expect(expected.byteLength).toBeGreaterThan(2 * PART_BYTES)
    const read = await s3.read('job-2/big.bin')
    expect(read?.bytes.byteLength).toBe(expected.byteLength)
    expect(Buffer.compare(read!.bytes, expected)).toBe(0)
  })

  it('hands out the public URL instead when it has one, and a presigned one with the expiry asked for', async () => {
    expect(await s3Bucket({ ...s3.s3Config, publicUrl: 'https://files.example.com/' }).urlOf('job 3/a b.png')).toBe('https://files.example.com/job%203/a%20b.png')
    const url = new URL(await s3Bucket({ ...s3.s3Config, urlExpiry: 60 }).urlOf('job-3/a.png'))
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60')
  })

  it('says why a refused put failed, never with the secret, and does not try again what would be refused again', async () => {
    const secret = 'not-the-secret-0123456789'
    const error = await s3Bucket({ ...s3.s3Config, accessSecret: secret }).put('job-4/a.txt', new Uint8Array([1]), 'text/plain').catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(BucketRefusal)
    expect((error as BucketRefusal).transient).toBe(false)
    expect((error as Error).message).toMatch(/^putting job-4\/a\.txt in bucket edgepod-test at 127\.0\.0\.1:\d+ was refused: HTTP 403 SignatureDoesNotMatch/)
    expect((error as Error).message).not.toContain(secret)
    const missing = await s3Bucket({ ...s3.s3Config, bucketName: 'no-such-bucket' }).put('a.txt', new Uint8Array([1]), 'text/plain').catch((caught: unknown) => caught)
    expect((missing as Error).message).toContain('HTTP 404 NoSuchBucket')
  })

  it('tries an unreachable endpoint again, then gives up saying so', async () => {
    const bucket = s3Bucket({ ...s3.s3Config, endpointUrl: 'http://127.0.0.1:9' })
    const error = await bucket.put('a.txt', new Uint8Array([1]), 'text/plain').catch((caught: unknown) => caught)
    expect((error as BucketRefusal).transient).toBe(true)
    expect((error as Error).message).toMatch(/^putting a\.txt in bucket edgepod-test at 127\.0\.0\.1:9 failed: fetch failed/)
  })

  it('reads the region from the endpoint', () => {
    expect(regionOf('https://s3.eu-west-3.amazonaws.com')).toBe('eu-west-3')
    expect(regionOf('https://my-bucket.s3.us-west-2.amazonaws.com')).toBe('us-west-2')
    expect(regionOf('https://0123abcd.r2.cloudflarestorage.com')).toBe('auto')
    expect(regionOf('http://127.0.0.1:9000')).toBe('us-east-1')
  })
})

/**
 * A real S3-compatible server for tests: @20minutes/s3rver on 127.0.0.1, in a process of its own
 * (s3-serve.cjs), with a port and a directory of its own. It checks SigV4 signatures (a tampered or expired presigned URL is
 * refused). What a test reads back it reads with the AWS SDK, the client S3 users have, in a Node
 * process of its own (s3-read.cjs).
 * @module
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { AwsClient } from 'aws4fetch'
import { spawnServer } from '../conformance/runtimes/spawn-server.ts'

const run = promisify(execFile)
const SERVER = new URL('./s3-serve.cjs', import.meta.url).pathname
const READER = new URL('./s3-read.cjs', import.meta.url).pathname

/** s3rver's own credentials: it accepts no others. */
const ACCESS_ID = 'S3RVER'
const ACCESS_SECRET = 'S3RVER'

/** A running test S3 server. */
export interface TestS3 {
  /** `http://127.0.0.1:<port>` */
  readonly endpointUrl: string
  readonly bucketName: string
  readonly accessId: string
  readonly accessSecret: string
  /** RunPod's `s3Config` for the bucket. */
  readonly s3Config: { accessId: string; accessSecret: string; bucketName: string; endpointUrl: string }
  /** An object's bytes and content type, read back with the AWS SDK; undefined when there is none. */
  read(key: string): Promise<{ bytes: Uint8Array; contentType: string | undefined } | undefined>
  /** The keys in the bucket. */
  keys(): Promise<string[]>
  close(): Promise<void>
}

/** Starts an S3 server with one bucket. */
export async function startS3(bucketName = 'edgepod-test'): Promise<TestS3> {
  const directory = await mkdtemp(join(tmpdir(), 'edgepod-s3-'))
  // In a process of its own: inside vitest's, s3rver refuses the AWS SDK's signatures.
  const server = await spawnServer(process.execPath, [SERVER, directory, bucketName], { ready: /s3 listening on (\S+)/ })
  const endpointUrl = server.url
  const lister = new AwsClient({ accessKeyId: ACCESS_ID, secretAccessKey: ACCESS_SECRET, service: 's3', region: 'us-east-1', retries: 0 })
  // The AWS SDK, run by s3-read.cjs in a Node process of its own.
  const sdk = async (...args: string[]) => JSON.parse((await run(process.execPath, [READER, endpointUrl, bucketName, ...args], { maxBuffer: 256 * 1024 * 1024 })).stdout) as unknown
  return {
    endpointUrl,
    bucketName,
    accessId: ACCESS_ID,
    accessSecret: ACCESS_SECRET,
    s3Config: { accessId: ACCESS_ID, accessSecret: ACCESS_SECRET, bucketName, endpointUrl },
    async read(key) {
      const object = (await sdk(key)) as { base64: string; contentType?: string } | null
      return object === null ? undefined : { bytes: new Uint8Array(Buffer.from(object.base64, 'base64')), contentType: object.contentType }
    },
    // Listed with aws4fetch: s3rver refuses the SDK's signature of a ListObjectsV2.
    async keys() {
      const listing = await (await lister.fetch(`${endpointUrl}/${bucketName}?list-type=2`)).text()
      return [...listing.matchAll(/<Key>([^<]*)<\/Key>/g)].map((match) => match[1]!).sort()
    },
    async close() {
      await server.stop()
      await rm(directory, { recursive: true, force: true })
    },
  }
}

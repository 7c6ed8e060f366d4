// Reads an object of a test S3 server with the AWS SDK, in a Node process of its own, as S3 users
// run the SDK (the tests resolve the `module` condition, whose build of the SDK is for bundlers).
// Prints {"base64","contentType"} as JSON, or null when there is no such object.
// node s3-read.cjs <endpoint> <bucket> <key>
const { S3Client, GetObjectCommand } = require('@aws-sdk/client-s3')

const [endpoint, bucket, key] = process.argv.slice(2)
const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } })

async function main() {
  try {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
    const bytes = await object.Body.transformToByteArray()
    return { base64: Buffer.from(bytes).toString('base64'), contentType: object.ContentType }
  } catch (error) {
    if (error.name === 'NoSuchKey') return null
    throw error
  }
}

main().then(
  (result) => process.stdout.write(JSON.stringify(result)),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)

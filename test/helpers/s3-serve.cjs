// A test S3 server (@20minutes/s3rver) in a Node process of its own, as a real S3 runs beside the
// worker: node s3-serve.cjs <directory> <bucket>. Prints "s3 listening on http://127.0.0.1:<port>" once
// it serves; stops on SIGTERM.
const S3rver = require('@20minutes/s3rver')

const [directory, bucket] = process.argv.slice(2)
new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] }).run().then(
  ({ address, port }) => console.log(`s3 listening on http://${address}:${port}`),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
process.on('SIGTERM', () => process.exit(0))

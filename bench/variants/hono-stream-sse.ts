/**
 * hono-streamSSE: what a user writes by hand with Hono, `streamSSE` with `for await` and
 * `writeSSE`, and no abort handling (as typical code has none).
 * @module
 */
import { Hono } from 'hono'
import { streamSSE } from 'hono/streaming'
import type { WorkloadParams } from '../workload.ts'
import { paramsOfQuery, probeResponse, tokens } from '../workload.ts'

const app = new Hono()
app.get('/sse', (c) =>
  streamSSE(c, async (stream) => {
    for await (const value of tokens(paramsOfQuery(new URL(c.req.url)))) {
      await stream.writeSSE({ data: JSON.stringify(value) })
    }
  })
)
app.post('/runsync', async (c) => {
  const { input } = await c.req.json<{ input: WorkloadParams }>()
  const output: unknown[] = []
  for await (const value of tokens(input)) output.push(value)
  return c.json({ id: crypto.randomUUID(), status: 'COMPLETED', output })
})
app.get('/_probe', (c) => probeResponse(new URL(c.req.url)))

export default app

// The tokens worker, with a page beside it on the same origin: `npx edgepod dev examples/browser/worker.ts`
import { Hono } from 'hono'
import worker from '../tokens.ts'
import { page } from './page.ts'

const app = new Hono()
app.get('/', (c) => c.html(page))
app.route('/', worker.app)

export default app

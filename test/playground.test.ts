/**
 * The playground page, in headless Chromium (driven by playwright-core) against a real edgepod
 * server: outputs appear on the page one by one while the job runs, progress, log lines and the
 * final status show, Cancel ends a job CANCELLED; an API key typed into the page reaches the API; the input box
 * starts with the worker's schema default (once a key unlocks it, when one is needed), remembers the
 * last input run and resets to the default; a new run clears the last one; the page brings its own
 * icon. Beside it, how `withPlayground` shares the routes with the worker, and `edgepod dev` serving
 * the page.
 */
import { launchChromium, MISSING_CHROMIUM } from './helpers/chromium.ts'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { Hono } from 'hono'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { TestContext } from 'vitest'
import { serverless } from 'edgepod'
import type { Job } from 'edgepod'
import { serve } from 'edgepod/node'
import type { NodeServer } from 'edgepod/node'
import { withPlayground } from 'edgepod/playground'
import { z } from 'zod'

/** A timer that ends early, with the abort reason, when the job is cancelled. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => (clearTimeout(timer), reject(signal.reason))
    const timer = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

type TokensInput = { count: number; delay: number; logs?: boolean }
const tokens = async function* (job: Job<TokensInput>) {
  for (let i = 0; i < job.input.count; i++) {
    if (i > 0) await sleep(job.input.delay, job.signal)
    // Markup in a message must show as text, never become part of the page.
    if (job.input.logs) job.log(i === 0 ? 'starting <b>now</b>' : `step ${i}`, i === 0 ? undefined : 'warn')
    yield { i, text: `token ${i}` }
    job.progress({ i })
  }
  if (job.input.logs) job.log('all done', 'error')
}

const worker = serverless.start({ returnAggregateStream: true, handler: tokens })
const keyed = serverless.start({ returnAggregateStream: true, handler: tokens, apiKey: 'secret-key' })

/** A schema with a default on every field: the page's input starts as `{"prompt":"hello","maxTokens":256}`. */
const promptSchema = z.object({ prompt: z.string().default('hello'), maxTokens: z.number().int().default(256) })
const PROMPT_DEFAULT = { prompt: 'hello', maxTokens: 256 }
const echo = async function* (job: Job<z.output<typeof promptSchema>>) {
  yield job.input.prompt.slice(0, job.input.maxTokens)
}
const withSchema = serverless.start({ schema: promptSchema, handler: echo })
const keyedWithSchema = serverless.start({ schema: promptSchema, handler: echo, apiKey: 'secret-key' })
/** Required fields without defaults: the page fills them with placeholders. */
const required = serverless.start({
  schema: z.object({
    name: z.string(),
    count: z.number().int(),
    ratio: z.number().min(0.5),
    on: z.boolean(),
    tags: z.array(z.string()),
    mode: z.enum(['fast', 'slow']),
    nested: z.object({ id: z.number().int().positive() }),
    note: z.string().optional(),
    level: z.number().default(3),
  }),
  handler: async (job) => job.input.name,
})

/** The page's own example input, for a worker that publishes no schema. */
const FALLBACK_INPUT = '{"count": 5, "delay": 500}'

let server: NodeServer
let keyedServer: NodeServer
let schemaServer: NodeServer
let keyedSchemaServer: NodeServer
let requiredServer: NodeServer
let browser: Browser | undefined
let page: Page | undefined
const pageErrors: string[] = []
/** Every path the servers were asked for, by the browser or the tests: /favicon.ico must never be one. */
const requested: string[] = []

/** Serves `worker` with the playground on a free port, noting every path asked for. */
function served(worker: { fetch(request: Request, env?: unknown, ctx?: unknown): Response | Promise<Response> }) {
  const wrapped = withPlayground(worker)
  return serve({ fetch: (request, env, ctx) => (requested.push(new URL(request.url).pathname), wrapped.fetch(request, env, ctx)) }, { port: 0 })
}

beforeAll(async () => {
  ;[server, keyedServer, schemaServer, keyedSchemaServer, requiredServer] = await Promise.all([
    served(worker),
    served(keyed),
    served(withSchema),
    served(keyedWithSchema),
    served(required),
  ])
  browser = await launchChromium()
})
afterEach(async () => {
  await page?.close()
  page = undefined
})
afterAll(async () => {
  await browser?.close()
  await Promise.all([server, keyedServer, schemaServer, keyedSchemaServer, requiredServer].map((each) => each?.close()))
})

async function openPlayground(url: string): Promise<Page> {
  if (!browser) throw new Error(MISSING_CHROMIUM)
  page = await browser.newPage({ viewport: { width: 1100, height: 760 } })
  page.on('pageerror', (error) => pageErrors.push(error.message))
  await page.goto(url)
  return page
}

/** A change the page made, as the test's MutationObserver saw it. */
interface Change {
  id: string
  text: string
  at: number
}
declare global {
  interface Window {
    changes: Change[]
  }
}

/**
 * Records, in `window.changes`, every change the page makes to the children of the elements with
 * these ids, in the order it made them: a log line as its level and message (its time, the first
 * child, varies), anything else as its text.
 */
async function recordChanges(page: Page, ids: string[]): Promise<void> {
  await page.evaluate((ids) => {
    const log: Change[] = []
    window.changes = log
    new MutationObserver((records) => {
      for (const { target, addedNodes } of records) {
        const id = (target as Element).id
        if (!ids.includes(id)) continue
        const added = addedNodes[0] as Element | undefined
        const text = id === 'logs' && added ? [...added.children].slice(1).map((child) => child.textContent).join(' ') : (added?.textContent ?? '')
        log.push({ id, text, at: performance.now() })
      }
    }).observe(document.body, { childList: true, subtree: true })
  }, ids)
}

const statusText = (page: Page) => page.locator('#status').textContent()
/** The input box's value, parsed. */
const inputJson = async (page: Page): Promise<unknown> => JSON.parse(await page.inputValue('#input'))
const outputsOf = async (page: Page) => (await page.locator('#outputs li').allTextContents()).map((text) => JSON.parse(text) as unknown)

describe('the playground in a browser', () => {
  it('streams a job: each output appears while it runs, then progress and COMPLETED', async () => {
    const page = await openPlayground(`${server.url}/`)
    expect(await page.title()).toBe('edgepod playground')
    // Every change the page makes to its outputs, progress line and status, in the order it made them.
    await recordChanges(page, ['outputs', 'progress', 'status'])
    await page.fill('#input', '{"count": 4, "delay": 150}')
    await page.click('#run')
    await expect.poll(() => page.locator('#outputs li').count()).toBeGreaterThanOrEqual(1)
    await expect.poll(() => statusText(page), { timeout: 5_000 }).toBe('COMPLETED')

    const outputs = await page.locator('#outputs li').allTextContents()
    expect(outputs.map((text) => JSON.parse(text))).toEqual([0, 1, 2, 3].map((i) => ({ i, text: `token ${i}` })))
    expect(await page.locator('#count').textContent()).toBe('4')
    expect(await page.locator('#progress').textContent()).toBe('{"i":3}')
    // 4 outputs, 4 progress events, done.
    expect(await page.locator('#events').textContent()).toBe('9')
    expect(await page.locator('#error').isHidden()).toBe(true)
    const id = await page.locator('#job-id').textContent()
    expect(id).toMatch(/\S/)
    expect(await (await fetch(`${server.url}/status/${id}`)).json()).toMatchObject({ status: 'COMPLETED' })

    // Live, in order: the page reset, the status showed streaming, each output and then its progress went up one at
    // a time, ~150 ms apart, and only then did COMPLETED show.
    const changes = await page.evaluate(() => window.changes)
    const order = changes.map(({ id, text }) => (id === 'outputs' ? `output ${JSON.parse(text).i}` : `${id} ${text}`))
    expect(order).toEqual([
      'progress -',
      'status starting',
      'status streaming',
      ...[0, 1, 2, 3].flatMap((i) => [`output ${i}`, `progress {"i":${i}}`]),
      'status COMPLETED',
    ])
    const times = changes.filter((change) => change.id === 'outputs').map((change) => change.at)
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(100)

    await page.screenshot({ path: '/tmp/playground.png', fullPage: true })
    expect(pageErrors).toEqual([])
  })

  it('shows log lines live, in order with the outputs, with their level and time, as text; a new run clears them', async () => {
    const page = await openPlayground(`${server.url}/`)
    await recordChanges(page, ['outputs', 'logs'])
    await page.fill('#input', '{"count": 2, "delay": 150, "logs": true}')
    await page.click('#run')
    await expect.poll(() => statusText(page), { timeout: 5_000 }).toBe('COMPLETED')

    const lines = page.locator('#logs li')
    expect(await lines.evaluateAll((items) => items.map((item) => [(item as HTMLElement).dataset['level'], item.querySelector('.level')?.textContent, item.querySelector('.message')?.textContent]))).toEqual([
      ['info', 'info', 'starting <b>now</b>'],
      ['warn', 'warn', 'step 1'],
      ['error', 'error', 'all done'],
    ])
    expect(await page.locator('#logs b').count()).toBe(0)
    expect(await page.locator('#log-count').textContent()).toBe('3')
    // Each line's time is the handler's, shown to the millisecond and kept whole in its datetime.
    const times = await page.locator('#logs time').evaluateAll((items) => items.map((item) => [(item as HTMLTimeElement).dateTime, item.textContent]))
    for (const [dateTime, text] of times) {
      expect(Math.abs(Date.parse(dateTime!) - Date.now())).toBeLessThan(60_000)
      expect(text).toMatch(/^\d\d:\d\d:\d\d\.\d{3}$/)
    }
    // 2 outputs, 2 progress events, 3 log lines, done.
    expect(await page.locator('#events').textContent()).toBe('8')
    const order = (await page.evaluate(() => window.changes)).map(({ id, text }) => (id === 'outputs' ? `output ${JSON.parse(text).i}` : `log ${text}`))
    expect(order).toEqual(['log info starting <b>now</b>', 'output 0', 'log warn step 1', 'output 1', 'log error all done'])
    await page.screenshot({ path: '/tmp/playground-logs.png', fullPage: true })

    await page.fill('#input', '{"count": 1, "delay": 0}')
    await page.click('#run')
    await expect.poll(() => statusText(page)).toBe('COMPLETED')
    expect(await lines.count()).toBe(0)
    expect(await page.locator('#log-count').textContent()).toBe('0')
    expect(pageErrors).toEqual([])
  })

  it('cancels a running job: the page shows CANCELLED, and so does /status', async () => {
    const page = await openPlayground(`${server.url}/`)
    await page.fill('#input', '{"count": 50, "delay": 200}')
    await page.click('#run')
    await expect.poll(() => page.locator('#outputs li').count(), { timeout: 5_000 }).toBeGreaterThanOrEqual(2)
    expect(await page.locator('#cancel').isEnabled()).toBe(true)
    await page.click('#cancel')

    await expect.poll(() => statusText(page), { timeout: 5_000 }).toBe('CANCELLED')
    const id = await page.locator('#job-id').textContent()
    const status = (await (await fetch(`${server.url}/status/${id}`)).json()) as { status: string; output: unknown[] }
    expect(status.status).toBe('CANCELLED')
    expect(await page.locator('#outputs li').count()).toBe(status.output.length)
    expect(status.output.length).toBeLessThan(50)
    expect(await page.locator('#cancel').isDisabled()).toBe(true)
    expect(await page.locator('#run').isEnabled()).toBe(true)
    expect(pageErrors).toEqual([])
  })

  it('shows the 401 without a key, and runs with the key typed in, which the tab remembers', async () => {
    // The keyed worker answers `/` with 401: the page is served there all the same.
    const page = await openPlayground(`${keyedServer.url}/`)
    await page.fill('#input', '{"count": 2, "delay": 10}')
    await page.click('#run')
    await expect.poll(() => statusText(page)).toBe('HTTP 401')
    expect(await page.locator('#error').textContent()).toContain('API key is required')

    await page.fill('#key', 'secret-key')
    await page.reload()
    expect(await page.inputValue('#key')).toBe('secret-key')
    await page.click('#run')
    await expect.poll(() => statusText(page)).toBe('COMPLETED')
    expect(await page.locator('#outputs li').count()).toBe(2)
    expect(await page.locator('#error').isHidden()).toBe(true)
    expect(pageErrors).toEqual([])
  })

  it("starts with the default of the worker's zod schema, which runs as it is", async () => {
    const page = await openPlayground(`${schemaServer.url}/`)
    expect(await inputJson(page)).toEqual(PROMPT_DEFAULT)
    expect(await page.locator('#input-source').textContent()).toBe("default from the worker's input schema")
    await page.click('#run')
    await expect.poll(() => statusText(page)).toBe('COMPLETED')
    expect(await outputsOf(page)).toEqual(['hello'])

    // A worker without a schema keeps the page's own example.
    await page.close()
    const plain = await openPlayground(`${server.url}/`)
    expect(await plain.inputValue('#input')).toBe(FALLBACK_INPUT)
    expect(await plain.locator('#input-source').textContent()).toContain('publishes no input schema')
    expect(pageErrors).toEqual([])
  })

  it('fills required fields without defaults with placeholders, and optional ones only when they have a default', async () => {
    const page = await openPlayground(`${requiredServer.url}/playground`)
    expect(await inputJson(page)).toEqual({ name: '', count: 0, ratio: 0.5, on: false, tags: [], mode: 'fast', nested: { id: 1 }, level: 3 })
    // A valid input: it runs.
    await page.click('#run')
    await expect.poll(() => statusText(page)).toBe('COMPLETED')
    expect(pageErrors).toEqual([])
  })

  it('remembers the last input run from this page across reloads; reset brings back the schema default', async () => {
    const page = await openPlayground(`${schemaServer.url}/`)
    const mine = '{"prompt": "bye now", "maxTokens": 3}'
    await page.fill('#input', mine)
    expect(await page.locator('#input-source').textContent()).toBe('edited')
    await page.click('#run')
    await expect.poll(() => statusText(page)).toBe('COMPLETED')
    expect(await outputsOf(page)).toEqual(['bye'])

    await page.reload()
    expect(await page.inputValue('#input')).toBe(mine)
    expect(await page.locator('#input-source').textContent()).toBe('last input used')
    // Kept by origin and path: the page at /playground of the same server has its own.
    expect(await page.evaluate(() => Object.keys(localStorage))).toEqual([`edgepod-playground:last-input:${schemaServer.url}/`])
    await page.goto(`${schemaServer.url}/playground`)
    expect(await inputJson(page)).toEqual(PROMPT_DEFAULT)
    await page.goto(`${schemaServer.url}/`)
    expect(await page.inputValue('#input')).toBe(mine)

    expect(await page.locator('#reset').isVisible()).toBe(true)
    await page.click('#reset')
    expect(await inputJson(page)).toEqual(PROMPT_DEFAULT)
    expect(await page.locator('#input-source').textContent()).toBe("default from the worker's input schema")
    // Reset forgets the last input: the next load starts from the default too.
    await page.reload()
    expect(await inputJson(page)).toEqual(PROMPT_DEFAULT)

    // Running the default unchanged keeps nothing: a changed schema's default would show next time.
    await page.click('#run')
    await expect.poll(() => statusText(page)).toBe('COMPLETED')
    expect(await page.evaluate(() => Object.keys(localStorage))).toEqual([])
    expect(pageErrors).toEqual([])
  })

  it("a second run clears the first one's outputs, progress and final status before its own outputs arrive", async () => {
    const page = await openPlayground(`${server.url}/`)
    await page.fill('#input', '{"count": 3, "delay": 10}')
    await page.click('#run')
    await expect.poll(() => statusText(page)).toBe('COMPLETED')
    expect(await page.locator('#outputs li').count()).toBe(3)
    const firstJob = await page.locator('#job-id').textContent()

    // What the page does to its outputs, progress and status from here on, in order.
    await page.evaluate(() => {
      const log: Change[] = []
      window.changes = log
      new MutationObserver((records) => {
        for (const { target, addedNodes, removedNodes } of records) {
          const id = (target as Element).id
          if (!['outputs', 'progress', 'status'].includes(id)) continue
          const text = removedNodes.length > 0 && addedNodes.length === 0 ? `cleared ${removedNodes.length}` : (addedNodes[0]?.textContent ?? '')
          log.push({ id, text, at: performance.now() })
        }
      }).observe(document.body, { childList: true, subtree: true })
    })
    await page.fill('#input', '{"count": 2, "delay": 100}')
    await page.click('#run')
    await expect.poll(() => statusText(page)).toBe('COMPLETED')

    expect(await outputsOf(page)).toEqual([0, 1].map((i) => ({ i, text: `token ${i}` })))
    expect(await page.locator('#count').textContent()).toBe('2')
    expect(await page.locator('#progress').textContent()).toBe('{"i":1}')
    expect(await page.locator('#events').textContent()).toBe('5')
    expect(await page.locator('#job-id').textContent()).not.toBe(firstJob)
    const changes = await page.evaluate(() => window.changes)
    const order = changes.map(({ id, text }) => (id === 'outputs' && !text.startsWith('cleared') ? `output ${JSON.parse(text).i}` : `${id} ${text}`))
    expect(order).toEqual([
      'outputs cleared 3',
      'progress -',
      'status starting',
      'status streaming',
      ...[0, 1].flatMap((i) => [`output ${i}`, `progress {"i":${i}}`]),
      'status COMPLETED',
    ])
    expect(pageErrors).toEqual([])
  })

  it("with a key required, shows the page's example, then the schema default once the key is typed", async () => {
    const page = await openPlayground(`${keyedSchemaServer.url}/`)
    expect(await page.inputValue('#input')).toBe(FALLBACK_INPUT)
    expect(await page.locator('#input-source').textContent()).toContain('API key')
    await page.fill('#key', 'secret-key')
    await expect.poll(() => inputJson(page)).toEqual(PROMPT_DEFAULT)
    expect(await page.locator('#input-source').textContent()).toBe("default from the worker's input schema")
    await page.click('#run')
    await expect.poll(() => statusText(page)).toBe('COMPLETED')
    expect(await outputsOf(page)).toEqual(['hello'])

    // The tab keeps the key: a reload asks with it at once.
    await page.reload()
    await expect.poll(() => page.locator('#input').getAttribute('data-default')).toBe('schema')
    expect(await inputJson(page)).toEqual(PROMPT_DEFAULT)

    // An input typed before the key came is left alone; reset then gives the schema default.
    await page.close()
    const typed = await openPlayground(`${keyedSchemaServer.url}/playground`)
    await typed.fill('#input', '{"prompt": "mine"}')
    await typed.fill('#key', 'secret-key')
    await expect.poll(() => typed.locator('#input').getAttribute('data-default')).toBe('schema')
    expect(await typed.inputValue('#input')).toBe('{"prompt": "mine"}')
    await typed.click('#reset')
    expect(await inputJson(typed)).toEqual(PROMPT_DEFAULT)
    expect(pageErrors).toEqual([])
  })

  it('brings its own icon: a valid inline SVG, and the browser never asks for /favicon.ico', async () => {
    const page = await openPlayground(`${schemaServer.url}/`)
    expect(await page.locator('link[rel=icon]').count()).toBe(1)
    const href = await page.locator('link[rel=icon]').getAttribute('href')
    expect(href).toMatch(/^data:image\/svg\+xml,/)
    // The browser decodes it as an image.
    const size = await page.evaluate(async (src) => {
      const image = new Image()
      image.src = src
      await image.decode()
      return [image.naturalWidth, image.naturalHeight]
    }, href!)
    expect(size).toEqual([32, 32])
    await page.click('#run')
    await expect.poll(() => statusText(page)).toBe('COMPLETED')
    // Chromium asks for /favicon.ico as a page without an icon finishes loading (once per browser):
    // every page of this file has been loaded and run by now.
    expect(requested).toContain('/stream')
    expect(requested).not.toContain('/favicon.ico')
    expect(pageErrors).toEqual([])
  })
})

describe('withPlayground', () => {
  it('answers GET / and /playground with the page, and hands every other request to the worker', async () => {
    const root = await fetch(`${server.url}/`)
    expect(root.status).toBe(200)
    expect(root.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(root.headers.get('cache-control')).toBe('no-store')
    const html = await root.text()
    expect(html).toMatch(/^<!doctype html>/)
    // Self-contained: no external script, style or image; the icon is a data: URL.
    expect(html).not.toMatch(/\b(src|href)="(?!data:)/)
    expect(html).toMatch(/<link rel="icon" type="image\/svg\+xml" href="data:image\/svg\+xml,/)
    expect(await (await fetch(`${server.url}/playground`)).text()).toBe(html)

    const head = await fetch(`${server.url}/`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-type')).toBe('text/html; charset=utf-8')

    const run = await fetch(`${server.url}/run`)
    expect(run.status).toBe(405)
    expect(await run.json()).toMatchObject({ code: 'method_not_allowed' })
    expect((await fetch(`${server.url}/`, { method: 'POST' })).status).toBe(404)
    expect((await fetch(`${server.url}/health`)).status).toBe(200)
  })

  it("renders the schema's default into the page, and answers the page's own JSON request for it, with the key", async () => {
    const html = await (await fetch(`${schemaServer.url}/playground`)).text()
    const box = /<textarea id="input"[^>]*data-default="schema"[^>]*>([^<]*)<\/textarea>/.exec(html)
    expect(JSON.parse(box![1]!.replaceAll('&#34;', '"'))).toEqual(PROMPT_DEFAULT)

    const json = { Accept: 'application/json' }
    for (const path of ['/', '/playground']) {
      const locked = await fetch(`${keyedSchemaServer.url}${path}`, { headers: json })
      expect(locked.status).toBe(401)
      expect(await locked.json()).toEqual({ source: 'locked' })
      const open = await fetch(`${keyedSchemaServer.url}${path}`, { headers: { ...json, Authorization: 'Bearer secret-key' } })
      expect(open.status).toBe(200)
      expect(open.headers.get('cache-control')).toBe('no-store')
      expect(await open.json()).toEqual({ source: 'schema', example: PROMPT_DEFAULT })
    }
    expect(await (await fetch(`${server.url}/playground`, { headers: json })).json()).toEqual({ source: 'none' })
  })

  it("leaves a worker's own / alone, serving the page at /playground only", async () => {
    const app = new Hono()
    app.get('/', (c) => c.html('<p>my own page</p>'))
    app.route('/', worker.app)
    const wrapped = withPlayground(app, { title: 'Tokens <dev>' })

    const own = await wrapped.fetch(new Request('http://localhost/'))
    expect(await own.text()).toBe('<p>my own page</p>')
    const playground = await wrapped.fetch(new Request('http://localhost/playground'))
    const html = await playground.text()
    expect(html).toContain('<title>Tokens &#60;dev&#62;</title>')
    expect((await wrapped.fetch(new Request('http://localhost/health'))).status).toBe(200)
  })

  it('passes env and execution context through, and is the bare worker when disabled', async () => {
    const seen: unknown[] = []
    const probe = {
      fetch(request: Request, env?: unknown, ctx?: unknown) {
        seen.push([new URL(request.url).pathname, env, ctx])
        return new Response('worker', { status: 404 })
      },
    }
    const env = { KEY: 'v' }
    const ctx = { waitUntil() {} }
    const wrapped = withPlayground(probe)
    expect((await wrapped.fetch(new Request('http://localhost/'), env, ctx)).headers.get('content-type')).toContain('text/html')
    expect(await (await wrapped.fetch(new Request('http://localhost/x'), env, ctx)).text()).toBe('worker')
    // The page asks the worker for its input schema with the same env and context.
    expect(seen).toEqual([['/', env, ctx], ['/openapi.json', env, ctx], ['/x', env, ctx]])

    const off = withPlayground(probe, { enabled: false })
    expect((await off.fetch(new Request('http://localhost/'))).status).toBe(404)
    expect((await off.fetch(new Request('http://localhost/playground'))).status).toBe(404)
  })
})

const root = fileURLToPath(new URL('..', import.meta.url))

/**
 * Runs `edgepod dev <args> --port 0` until the test ends; resolves to the URL it serves at and the
 * playground URL it printed (undefined with `--no-playground`).
 */
function dev(test: TestContext, args: string[]) {
  const child = spawn(process.execPath, ['bin/edgepod.js', 'dev', ...args, '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  test.onTestFinished(() => void child.kill('SIGKILL'))
  let stdout = ''
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  return new Promise<{ url: string; playground: string | undefined }>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      const url = /^edgepod: serving \S+ at (\S+)$/m.exec(stdout)?.[1]
      const playground = /^edgepod: playground at (\S+)$/m.exec(stdout)?.[1]
      // With the page on, its line follows the serving line; without, nothing follows.
      if (url && (playground || args.includes('--no-playground'))) resolve({ url, playground })
    })
    child.on('close', (code) => reject(new Error(`edgepod dev exited (${code}):\n${stdout}\n${stderr}`)))
  })
}

describe.concurrent('edgepod dev', () => {
  it('serves the playground at / and prints its URL', async (test) => {
    const { url, playground } = await dev(test, ['examples/tokens.ts'])
    expect(playground).toBe(`${url}/`)
    const page = await fetch(playground!)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(await page.text()).toContain('<title>edgepod playground</title>')
  })

  it('serves it at /playground when the worker has its own /', async (test) => {
    const { url, playground } = await dev(test, ['examples/browser/worker.ts'])
    expect(playground).toBe(`${url}/playground`)
    expect(await (await fetch(`${url}/`)).text()).toContain('edgepod stream')
    expect(await (await fetch(playground!)).text()).toContain('<title>edgepod playground</title>')
  })

  it('leaves it out with --no-playground', async (test) => {
    const { url, playground } = await dev(test, ['examples/tokens.ts', '--no-playground'])
    expect(playground).toBeUndefined()
    expect((await fetch(`${url}/`)).status).toBe(404)
    expect((await fetch(`${url}/playground`)).status).toBe(404)
  })
})

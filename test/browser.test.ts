/**
 * A real browser's EventSource (headless Chromium, driven by playwright-core) reading `/stream/:id`
 * of a real edgepod server, from a page of the same origin: every output once, in order, `done`,
 * and its own automatic reconnect after the end gets 204 and leaves it CLOSED, not reconnecting forever.
 */
import { launchChromium, MISSING_CHROMIUM } from './helpers/chromium.ts'
import { readFileSync } from 'node:fs'
import { setTimeout as delay } from 'node:timers/promises'
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { serverless } from 'edgepod'
import type { Job } from 'edgepod'
import type { NodeServer } from 'edgepod/node'
import { serveRecording } from './helpers/recording-server.ts'
import type { SeenRequest } from './helpers/recording-server.ts'

const PAGE = readFileSync(new URL('./fixtures/browser-page.html', import.meta.url), 'utf8')

/** What test/fixtures/browser-page.html puts on `window`. */
declare global {
  interface Window {
    startJob(input: unknown): Promise<string>
    seen: { errors: number[]; opens: number; doneIds: string[]; source: EventSource | null }
  }
}

const worker = serverless.start({
  returnAggregateStream: true,
  handler: async function* (job: Job<{ count: number; delay: number }>) {
    for (let i = 0; i < job.input.count; i++) {
      if (i > 0) await delay(job.input.delay, undefined, { signal: job.signal })
      yield { i, text: `token ${i}` }
    }
  },
})

let requestsTo: (path: string) => SeenRequest[]

let server: NodeServer
let browser: Browser | undefined
let page: Page | undefined
const pageErrors: string[] = []


beforeAll(async () => {
  // One origin: the page, and the worker's routes beside it.
  ;({ server, requestsTo } = await serveRecording(worker, (request) => {
    const url = new URL(request.url)
    if (request.method !== 'GET' || url.pathname !== '/page.html') return undefined
    return new Response(PAGE, { headers: { 'Content-Type': 'text/html; charset=utf-8' } })
  }))
  browser = await launchChromium()
})
afterEach(async () => {
  await page?.close()
  page = undefined
})
afterAll(async () => {
  await browser?.close()
  await server?.close()
})

describe("a browser's EventSource reading /stream/:id", () => {
  it('shows every output once, in order, then done; its reconnect gets 204 and it ends CLOSED', async () => {
    if (!browser) throw new Error(MISSING_CHROMIUM)
    page = await browser.newPage()
    page.on('pageerror', (error) => pageErrors.push(error.message))
    await page.goto(`${server.url}/page.html`)
    const count = 12
    const id = await page.evaluate((input) => window.startJob(input), { count, delay: 30 })
    const path = `/stream/${id}`

    await expect.poll(() => page!.locator('#status').textContent(), { timeout: 5_000 }).toBe('COMPLETED')
    const outputs = await page.locator('#outputs li').allTextContents()
    expect(outputs.map((text) => JSON.parse(text))).toEqual(Array.from({ length: count }, (_, i) => ({ i, text: `token ${i}` })))
    const eventIds = await page.locator('#outputs li').evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.eventId))
    expect(eventIds).toEqual(Array.from({ length: count }, (_, i) => String(i + 1)))
    const doneId = String(count + 1)
    expect(await page.evaluate(() => window.seen.doneIds)).toEqual([doneId])

    // The server ends the body after done. The browser reconnects on its own (after its ~3 s
    // default retry) with Last-Event-ID, gets 204, and must stop: readyState CLOSED.
    await expect.poll(() => page!.evaluate(() => window.seen.source?.readyState), { timeout: 8_000 }).toBe(2)
    const seen = await page.evaluate(() => ({ errors: window.seen.errors, opens: window.seen.opens, doneIds: window.seen.doneIds }))
    // One error when the stream ended (reconnecting: CONNECTING), one when the 204 closed it (CLOSED).
    expect(seen).toEqual({ errors: [0, 2], opens: 1, doneIds: [doneId] })
    expect(requestsTo(path).map(({ method, accept, lastEventId, status }) => ({ method, accept, lastEventId, status }))).toEqual([
      { method: 'GET', accept: 'text/event-stream', lastEventId: null, status: 200 },
      { method: 'GET', accept: 'text/event-stream', lastEventId: doneId, status: 204 },
    ])
    // The reconnect replayed nothing.
    expect(await page.locator('#outputs li').count()).toBe(count)
    expect(pageErrors).toEqual([])
  })
})

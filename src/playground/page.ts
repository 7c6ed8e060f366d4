/**
 * The playground page: one self-contained HTML document (inline CSS, script and icon, no
 * framework, no external assets) that runs a job through `POST /stream` on its own origin and shows
 * it live.
 * @module
 */
import type { InputDefault } from './input-default.ts'
import { INPUT_SCRIPT } from './page-input-script.ts'
import { RUN_SCRIPT } from './page-run-script.ts'
import { PAGE_STYLE } from './page-style.ts'

/** Options of {@link playgroundHtml}. */
export interface PlaygroundPageOptions {
  /** The page's title and heading. @default 'edgepod playground' */
  title?: string | undefined
}

// The input the page offers when the worker publishes no input schema: one that examples/tokens.ts runs.
const FALLBACK_INPUT = '{"count": 5, "delay": 500}'

// An inline icon: without one, every browser asks for /favicon.ico, which the worker answers 404.
const ICON = `<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#2f6fed"/><path d="M12 9l12 7-12 7z" fill="#fff"/></svg>`
const ICON_HREF = `data:image/svg+xml,${encodeURIComponent(ICON)}`

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** What the input box holds before the script runs: the schema's example, or the page's own. */
const defaultText = (input: InputDefault) => (input.source === 'schema' ? JSON.stringify(input.example, null, 2) : FALLBACK_INPUT)

// The script's shared part; the input and run halves follow it in the same module script.
const PRELUDE = `
  const $ = (id) => document.getElementById(id)
  const input = $('input'), key = $('key')
  const STORE = 'edgepod-playground:'
  key.value = sessionStorage.getItem(STORE + 'key') ?? ''
  key.addEventListener('input', () => sessionStorage.setItem(STORE + 'key', key.value))
  const headers = (extra = {}) => key.value.trim() ? { ...extra, Authorization: 'Bearer ' + key.value.trim() } : extra
`

/**
 * The playground's HTML. `input` is its default input as {@link withPlayground} found it out from
 * the worker (the page's own example when not given).
 */
export function playgroundHtml(options: PlaygroundPageOptions = {}, input: InputDefault = { source: 'none' }): string {
  const title = escapeHtml(options.title ?? 'edgepod playground')
  return `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" type="image/svg+xml" href="${ICON_HREF}">
<style>${PAGE_STYLE}</style>
<header><h1>${title}</h1><p>Runs a job through <code>POST /stream</code> on this server and shows its events as they arrive.</p></header>
<main>
  <section>
    <div class="input-head">
      <label for="input">Input (JSON)</label> <span id="input-source" class="hint"></span>
      <button id="reset" type="button" class="link" title="Put the default input back in the box (and forget the last input used)">reset</button>
    </div>
    <textarea id="input" spellcheck="false" data-default="${input.source}">${escapeHtml(defaultText(input))}</textarea>
    <label for="key">API key (optional, kept for this tab only)</label>
    <input id="key" type="password" autocomplete="off" placeholder="none">
    <div class="buttons">
      <button id="run" class="primary">Run</button> <button id="cancel" disabled>Cancel</button>
      <span class="hint">Ctrl+Enter runs</span>
    </div>
  </section>
  <section>
    <dl>
      <dt>Status</dt><dd><span id="status" data-kind="idle">idle</span> <span id="timing"></span></dd>
      <dt>Job</dt><dd id="job-id">-</dd>
      <dt>Progress</dt><dd id="progress">-</dd>
      <dt>Events</dt><dd id="events">0</dd>
      <dt hidden>Error</dt><dd id="error" hidden></dd>
    </dl>
    <h2>Outputs (<span id="count">0</span>)</h2>
    <ol id="outputs"></ol>
    <h2>Logs (<span id="log-count">0</span>)</h2>
    <ul id="logs"></ul>
  </section>
</main>
<script type="module">${PRELUDE}${INPUT_SCRIPT}${RUN_SCRIPT}</script>
</html>
`
}

/**
 * The playground page: one self-contained HTML document (inline CSS and script, no framework, no
 * external assets) that runs a job through `POST /stream` on its own origin and shows it live.
 * @module
 */

/** Options of {@link playgroundHtml}. */
export interface PlaygroundPageOptions {
  /** The page's title and heading. @default 'edgepod playground' */
  title?: string | undefined
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/**
 * The playground's HTML. It reads the stream with `fetch` rather than `EventSource` so that the API
 * key can travel as an `Authorization` header, and calls the API by relative URLs (`stream`,
 * `cancel/:id`), which resolve to the root routes from both `/` and `/playground`.
 */
export function playgroundHtml(options: PlaygroundPageOptions = {}): string {
  const title = escapeHtml(options.title ?? 'edgepod playground')
  return `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>
  :root { color-scheme: light dark; --fg: #1d2330; --muted: #667085; --line: #d8dde6; --card: #f6f8fb; --accent: #2f6fed }
  @media (prefers-color-scheme: dark) { :root { --fg: #e6e9ef; --muted: #98a2b3; --line: #343b48; --card: #1b2029; --accent: #6b9bff } }
  * { box-sizing: border-box }
  body { margin: 0; font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; color: var(--fg) }
  header { padding: 14px 24px; border-bottom: 1px solid var(--line) }
  h1 { margin: 0; font-size: 18px } h2 { margin: 0 0 8px; font-size: 14px; color: var(--muted); font-weight: 600 }
  header p { margin: 2px 0 0; color: var(--muted); font-size: 13px }
  main { display: grid; grid-template-columns: minmax(280px, 2fr) 3fr; gap: 24px; padding: 20px 24px; max-width: 1200px }
  @media (max-width: 760px) { main { grid-template-columns: 1fr } }
  label { display: block; margin: 0 0 4px; font-size: 13px; color: var(--muted) }
  textarea, input { width: 100%; font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; color: inherit;
    background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 8px }
  textarea { height: 180px; resize: vertical; margin-bottom: 12px }
  .buttons { display: flex; gap: 8px; align-items: center; margin-top: 12px }
  button { font: inherit; padding: 6px 16px; border-radius: 6px; border: 1px solid var(--line); background: var(--card);
    color: inherit; cursor: pointer }
  button.primary { background: var(--accent); border-color: var(--accent); color: #fff }
  button:disabled { opacity: .45; cursor: default }
  .hint { color: var(--muted); font-size: 12px }
  dl { display: grid; grid-template-columns: max-content 1fr; align-items: baseline; gap: 4px 14px; margin: 0 0 16px;
    padding: 12px; background: var(--card); border-radius: 8px }
  dt { color: var(--muted) } dd { margin: 0; font-family: ui-monospace, monospace; font-size: 13px; overflow-wrap: anywhere }
  #status { font-weight: 700 }
  #status[data-kind=COMPLETED] { color: #16a34a } #status[data-kind=live] { color: var(--accent) }
  #status[data-kind=FAILED], #status[data-kind=TIMED_OUT], #status[data-kind=error] { color: #dc2626 }
  #status[data-kind=CANCELLED] { color: #d97706 }
  #error { color: #dc2626; white-space: pre-wrap }
  ol { margin: 0; padding-left: 28px } li { margin-bottom: 6px } li::marker { color: var(--muted); font-size: 12px }
  pre { margin: 0; padding: 6px 8px; background: var(--card); border-radius: 6px; font-size: 13px; white-space: pre-wrap;
    overflow-wrap: anywhere }
</style>
<header><h1>${title}</h1><p>Runs a job through <code>POST /stream</code> on this server and shows its events as they arrive.</p></header>
<main>
  <section>
    <label for="input">Input (JSON)</label>
    <textarea id="input" spellcheck="false">{"count": 5, "delay": 500}</textarea>
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
  </section>
</main>
<script type="module">
  const $ = (id) => document.getElementById(id)
  const input = $('input'), key = $('key'), run = $('run'), cancel = $('cancel'), status = $('status'), error = $('error')
  const FINAL = ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT']
  const STORE = 'edgepod-playground:'
  input.value = sessionStorage.getItem(STORE + 'input') ?? input.value
  key.value = sessionStorage.getItem(STORE + 'key') ?? ''
  key.addEventListener('input', () => sessionStorage.setItem(STORE + 'key', key.value))
  input.addEventListener('keydown', (event) => { if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) run.click() })

  /** The job on screen: events of any other (an aborted earlier run) are ignored. */
  let job = null

  const headers = (extra = {}) => key.value.trim() ? { ...extra, Authorization: 'Bearer ' + key.value.trim() } : extra
  function setStatus(text, kind = text) { status.textContent = text; status.dataset.kind = kind }
  function showError(message) {
    error.textContent = message ?? ''
    error.hidden = error.previousElementSibling.hidden = !message
  }
  async function errorOf(response) {
    const text = await response.text()
    try { return JSON.parse(text).error ?? text } catch { return text || response.statusText }
  }

  /** Server-Sent Events as the HTML standard parses them: fields by line, a blank line dispatches. */
  async function* readEvents(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader()
    let rest = '', id = '', type = '', data = []
    try {
      for (;;) {
        const { value, done } = await reader.read()
        // A CR at the end of a chunk may be the first half of CRLF: it waits for the next chunk,
        // or for the end of the body, where it ends its line after all.
        const lines = (rest + (done ? (rest.endsWith('\\r') ? '\\n' : '') : value)).split(/\\r\\n|\\n|\\r(?=[^\\n])/)
        rest = lines.pop()
        for (const line of lines) {
          if (line === '') {
            if (data.length > 0) yield { id, type: type || 'message', data: data.join('\\n') }
            type = ''; data = []
            continue
          }
          const colon = line.indexOf(':')
          if (colon === 0) continue
          const field = colon < 0 ? line : line.slice(0, colon)
          const text = colon < 0 ? '' : line.slice(colon + (line[colon + 1] === ' ' ? 2 : 1))
          if (field === 'data') data.push(text)
          else if (field === 'event') type = text
          else if (field === 'id') id = text
        }
        if (done) return
      }
    } finally {
      reader.cancel().catch(() => {})
    }
  }

  function finish(current, text, message, done) {
    if (job !== current) return
    setStatus(text, FINAL.includes(text) ? text : 'error')
    showError(message)
    if (done) $('timing').textContent = '(' + done.executionTime + ' ms, queued ' + done.delayTime + ' ms)'
    run.disabled = false
    cancel.disabled = true
  }

  run.addEventListener('click', async () => {
    let value
    try { value = JSON.parse(input.value) } catch (e) { return finish(job, 'invalid input', 'the input is not JSON: ' + e.message) }
    sessionStorage.setItem(STORE + 'input', input.value)
    const current = job = { id: null, events: 0 }
    $('outputs').replaceChildren()
    for (const [id, text] of [['count', '0'], ['events', '0'], ['progress', '-'], ['job-id', '-'], ['timing', '']]) $(id).textContent = text
    showError('')
    setStatus('starting', 'live')
    run.disabled = true
    try {
      const response = await fetch('stream', {
        method: 'POST',
        headers: headers({ 'Content-Type': 'application/json', Accept: 'text/event-stream' }),
        body: JSON.stringify({ input: value }),
      })
      if (!response.ok || !response.body) return finish(current, 'HTTP ' + response.status, await errorOf(response))
      current.id = response.headers.get('X-Job-Id')
      $('job-id').textContent = current.id
      cancel.disabled = false
      setStatus('streaming', 'live')
      for await (const event of readEvents(response.body)) {
        if (job !== current) return
        $('events').textContent = ++current.events
        const data = JSON.parse(event.data)
        if (event.type === 'output') {
          const item = document.createElement('li')
          item.append(document.createElement('pre'))
          item.firstChild.textContent = JSON.stringify(data, null, 2)
          $('outputs').append(item)
          $('count').textContent = $('outputs').children.length
        } else if (event.type === 'progress') $('progress').textContent = JSON.stringify(data)
        else if (event.type === 'done') return finish(current, data.status, data.error, data)
      }
      finish(current, 'disconnected', 'the stream ended before its done event')
    } catch (e) {
      finish(current, 'disconnected', e.message)
    }
  })

  cancel.addEventListener('click', async () => {
    const current = job
    if (!current?.id) return
    cancel.disabled = true
    // The stream's done event shows the outcome: CANCELLED, or the status the job had already reached.
    try {
      const response = await fetch('cancel/' + encodeURIComponent(current.id), { method: 'POST', headers: headers() })
      if (!response.ok) throw new Error('cancel: HTTP ' + response.status + ': ' + await errorOf(response))
    } catch (e) {
      if (job === current) { showError(e.message); cancel.disabled = false }
    }
  })
</script>
</html>
`
}

/**
 * The playground script's run half: it runs a job through `POST /stream` on the page's origin,
 * shows its events (outputs, progress, log lines, the end) as they arrive, and cancels it.
 * @module
 */

/**
 * Script text for the page's module script, after the prelude (`$`, `input`, `key`, `headers`) and
 * the input half (`rememberInput`). It reads the stream with `fetch` rather than `EventSource` so
 * that the API key can travel as an `Authorization` header, and calls the API by relative URLs
 * (`stream`, `cancel/:id`), which resolve to the root routes from both `/` and `/playground`.
 * Raw text: the backslashes in it are the script's own.
 */
export const RUN_SCRIPT = String.raw`
  const run = $('run'), cancel = $('cancel'), status = $('status'), error = $('error')
  const FINAL = ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT']
  input.addEventListener('keydown', (event) => { if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) run.click() })

  /** The job on screen: events of any other (an aborted earlier run) are ignored. */
  let job = null

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
        const lines = (rest + (done ? (rest.endsWith('\r') ? '\n' : '') : value)).split(/\r\n|\n|\r(?=[^\n])/)
        rest = lines.pop()
        for (const line of lines) {
          if (line === '') {
            if (data.length > 0) yield { id, type: type || 'message', data: data.join('\n') }
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

  /** Everything the last run left on screen goes before the new run starts: nothing of it can be mistaken for the new one's. */
  function clearRun() {
    $('outputs').replaceChildren()
    $('logs').replaceChildren()
    for (const [id, text] of [['count', '0'], ['log-count', '0'], ['events', '0'], ['progress', '-'], ['job-id', '-'], ['timing', '']]) $(id).textContent = text
    showError('')
    setStatus('starting', 'live')
  }

  function showOutput(data) {
    const item = document.createElement('li')
    item.append(document.createElement('pre'))
    item.firstChild.textContent = JSON.stringify(data, null, 2)
    $('outputs').append(item)
    $('count').textContent = $('outputs').children.length
  }

  /** A job.log line: its time (local, to the ms), its level and its message, as text (never HTML). */
  function showLog({ message, level, time }) {
    const item = document.createElement('li')
    item.dataset.level = level
    const when = document.createElement('time'), tag = document.createElement('span'), text = document.createElement('span')
    when.dateTime = new Date(time).toISOString()
    when.textContent = new Date(time).toTimeString().slice(0, 8) + '.' + String(time % 1000).padStart(3, '0')
    tag.className = 'level'; tag.textContent = level
    text.className = 'message'; text.textContent = message
    item.append(when, tag, text)
    $('logs').append(item)
    $('log-count').textContent = $('logs').children.length
  }

  run.addEventListener('click', async () => {
    let value
    try { value = JSON.parse(input.value) } catch (e) { return finish(job, 'invalid input', 'the input is not JSON: ' + e.message) }
    rememberInput()
    const current = job = { id: null, events: 0 }
    clearRun()
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
        if (event.type === 'output') showOutput(data)
        else if (event.type === 'progress') $('progress').textContent = JSON.stringify(data)
        else if (event.type === 'log') showLog(data)
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
`

// The page of the browser example: start a job, then read its stream with the browser's EventSource.
export const page = `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>edgepod: a stream in the browser</title>
<style>body { font: 16px system-ui; margin: 2rem; } li { font-family: monospace; }</style>
<h1>edgepod stream</h1>
<button id="start">Run a job</button> <span id="status"></span>
<ol id="outputs"></ol>
<script type="module">
  const start = document.querySelector('#start')
  const status = document.querySelector('#status')
  const outputs = document.querySelector('#outputs')
  start.addEventListener('click', async () => {
    outputs.replaceChildren()
    const response = await fetch('/run', { method: 'POST', body: JSON.stringify({ input: { count: 5, delay: 500 } }) })
    const { id } = await response.json()
    status.textContent = 'IN_QUEUE'
    // EventSource resumes with Last-Event-ID on its own; after 'done' the server answers 204 and it stops.
    const source = new EventSource('/stream/' + id)
    source.addEventListener('output', (event) => {
      const item = document.createElement('li')
      item.textContent = JSON.parse(event.data)
      outputs.append(item)
      status.textContent = 'IN_PROGRESS'
    })
    source.addEventListener('done', (event) => {
      status.textContent = JSON.parse(event.data).status
      source.close()
    })
  })
</script>
</html>
`

/**
 * The playground script's input half: what the input box starts with, remembering the last input
 * run, and the reset to the default.
 * @module
 */

/**
 * Script text for the page's module script, after the prelude (`$`, `input`, `key`, `headers`);
 * it defines `rememberInput()`, which the run half calls when a run starts.
 *
 * The box shows the input last run from this page (localStorage, keyed by origin and path, so two
 * workers on two ports or paths keep theirs apart), else the default the server rendered into it:
 * the example of the worker's input schema, or the page's own. When the worker's document wants an
 * API key (`data-default="locked"`), the page asks `GET playground` for the default again, with the
 * key, whenever a key is typed.
 */
export const INPUT_SCRIPT = String.raw`
  const LAST_INPUT = STORE + 'last-input:' + location.origin + location.pathname
  const source = $('input-source')
  const SOURCES = {
    schema: "default from the worker's input schema",
    none: 'example input (the worker publishes no input schema)',
    locked: 'example input (a valid API key brings the schema default, if the worker has one)',
  }
  /** The default input: what the server rendered into the box, until a key unlocks the schema's. */
  let defaultText = input.defaultValue

  // Storage can be unavailable (disabled, full, an opaque origin): the page then just forgets.
  const lastInput = {
    get() { try { return localStorage.getItem(LAST_INPUT) } catch { return null } },
    set(text) { try { localStorage.setItem(LAST_INPUT, text) } catch {} },
    clear() { try { localStorage.removeItem(LAST_INPUT) } catch {} },
  }

  /** Puts text in the box and says where it came from: 'default', 'last' (run before) or 'edited'. */
  function showInput(text, from) {
    input.value = text
    input.dataset.source = from
    source.textContent = from === 'default' ? SOURCES[input.dataset.default] : 'last input used'
  }

  /** Called as a run starts. The default itself is not kept: a later default (the schema changed) would be hidden by it. */
  function rememberInput() {
    if (input.value === defaultText) lastInput.clear()
    else lastInput.set(input.value)
  }

  const last = lastInput.get()
  showInput(last ?? defaultText, last === null ? 'default' : 'last')
  input.addEventListener('input', () => {
    if (input.dataset.source === 'edited') return
    input.dataset.source = 'edited'
    source.textContent = 'edited'
  })
  $('reset').addEventListener('click', () => {
    lastInput.clear()
    showInput(defaultText, 'default')
    input.focus()
  })

  /** Answers to older keys are dropped: only the key in the box counts. */
  let asked = 0, askTimer
  async function askForDefault() {
    const ask = ++asked
    try {
      const response = await fetch('playground', { headers: headers({ Accept: 'application/json' }) })
      const answer = await response.json()
      if (ask !== asked || answer.source === 'locked') return
      if (answer.source === 'schema') defaultText = JSON.stringify(answer.example, null, 2)
      input.dataset.default = answer.source
      if (input.dataset.source === 'default') showInput(defaultText, 'default')
    } catch {
      // The page's own example stays; the next key typed asks again.
    }
  }
  key.addEventListener('input', () => {
    if (input.dataset.default !== 'locked') return
    clearTimeout(askTimer)
    askTimer = setTimeout(askForDefault, 250)
  })
  if (input.dataset.default === 'locked' && key.value.trim()) askForDefault()
`

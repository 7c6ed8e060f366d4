/**
 * The playground page's stylesheet: light and dark, two columns on a wide screen, one on a narrow.
 * @module
 */

/** The CSS inlined in the page's `<style>`. */
export const PAGE_STYLE = `
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
  .input-head { display: flex; align-items: baseline; gap: 8px; margin: 0 0 4px }
  .input-head label { margin: 0 } .input-head .hint { flex: 1 }
  textarea, input { width: 100%; font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; color: inherit;
    background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 8px }
  textarea { height: 180px; resize: vertical; margin-bottom: 12px }
  .buttons { display: flex; gap: 8px; align-items: center; margin-top: 12px }
  button { font: inherit; padding: 6px 16px; border-radius: 6px; border: 1px solid var(--line); background: var(--card);
    color: inherit; cursor: pointer }
  button.primary { background: var(--accent); border-color: var(--accent); color: #fff }
  button.link { padding: 0; border: 0; background: none; color: var(--accent); font-size: 12px; text-decoration: underline }
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
  #outputs { margin-bottom: 16px }
  #logs { margin: 0; padding: 0; list-style: none; font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace }
  #logs li { margin: 0; padding: 1px 0; white-space: pre-wrap; overflow-wrap: anywhere }
  #logs time, #logs .level { color: var(--muted); margin-right: 8px } #logs .level { display: inline-block; min-width: 5ch }
  #logs [data-level=warn] .level { color: #d97706 } #logs [data-level=error] .level, #logs [data-level=error] .message { color: #dc2626 }
  #logs [data-level=debug] .message { color: var(--muted) }
  pre { margin: 0; padding: 6px 8px; background: var(--card); border-radius: 6px; font-size: 13px; white-space: pre-wrap;
    overflow-wrap: anywhere }
`

/**
 * The fenced code blocks of a Markdown document, for test/docs.test.ts, which runs each of them.
 * @module
 */

/** One fenced code block: where it is, its language, and its code as printed. */
export interface DocBlock {
  /** The document, relative to the repository root. */
  doc: string
  /** The line of the opening fence, 1-based. */
  line: number
  /** The info string's first word: `ts`, `sh`, `toml`. */
  lang: string
  code: string
}

/** The blocks fenced by three backticks in `markdown`; an unclosed fence is an error. */
export function docBlocksOf(doc: string, markdown: string): DocBlock[] {
  const blocks: DocBlock[] = []
  const lines = markdown.split('\n')
  let open: { line: number; lang: string; code: string[] } | undefined
  lines.forEach((text, index) => {
    const fence = /^```(\S*)/.exec(text)
    if (!fence) {
      open?.code.push(text)
      return
    }
    if (open) {
      blocks.push({ doc, line: open.line, lang: open.lang, code: `${open.code.join('\n')}\n` })
      open = undefined
    } else open = { line: index + 1, lang: fence[1] ?? '', code: [] }
  })
  if (open) throw new Error(`${doc}:${open.line}: a code block is never closed`)
  return blocks
}

/**
 * The output a snippet's comments promise for the job it runs: `// output: <JSON>` after a worker's
 * `serverless.start(...)`, undefined with none.
 */
export function promisedOutputOf(code: string): { json: unknown } | undefined {
  const match = /\/\/ output: (.+)$/m.exec(code)
  return match ? { json: JSON.parse(match[1]!) } : undefined
}

/**
 * A pattern for what a shell line's comment promises it prints: a comment that starts with `{`
 * or `[` is the expected output, `…` standing for anything; other comments explain, and promise
 * nothing (undefined).
 */
export function promisedPrintOf(line: string): RegExp | undefined {
  const comment = /\s#\s+([[{].*)$/.exec(line)?.[1]
  if (comment === undefined) return undefined
  const pattern = comment
    .split('…')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*')
  return new RegExp(`^${pattern}$`)
}

/**
 * The files a worker loads, as `bin/record-imports.js` reports them from Node's hooks thread: what
 * `edgepod dev` watches, and where a load error is looked for.
 * @module
 */
import { register } from 'node:module'
import { fileURLToPath } from 'node:url'
import { MessageChannel } from 'node:worker_threads'

/** The files loaded since {@link recordImports} was first called. */
export interface ImportRecorder {
  /** Every file reported so far (absolute paths), in the order first seen. */
  readonly files: ReadonlySet<string>
  /** Calls `listener` with each file reported from now on. */
  onFile(listener: (path: string) => void): void
  /** Resolves once every file resolved before this call has been reported. */
  flush(): Promise<void>
}

let recorder: ImportRecorder | undefined

/**
 * Starts recording the files loaded from now on, outside node_modules; the recorder is the
 * process's one, made on the first call. Imports already loaded are not reported again.
 */
export function recordImports(): ImportRecorder {
  if (recorder) return recorder
  const { port1, port2 } = new MessageChannel()
  // From src/cli or dist/cli alike, the hook is in the package's bin/.
  register(new URL('../../bin/record-imports.js', import.meta.url), { data: { port: port2 }, transferList: [port2] })
  const files = new Set<string>()
  const listeners: Array<(path: string) => void> = []
  const flushes: Array<() => void> = []
  port1.on('message', (message: string) => {
    if (message === 'flushed') {
      flushes.shift()?.()
      if (flushes.length === 0) port1.unref()
      return
    }
    const path = fileURLToPath(message)
    if (files.has(path)) return
    files.add(path)
    for (const listener of listeners) listener(path)
  })
  // Recording must never keep a process alive that has nothing else to do.
  port1.unref()
  recorder = {
    files,
    onFile: (listener) => void listeners.push(listener),
    flush: () =>
      new Promise<void>((resolve) => {
        // Held while waiting: the answer is all this process may be waiting for.
        port1.ref()
        flushes.push(resolve)
        port1.postMessage('flush')
      }),
  }
  return recorder
}

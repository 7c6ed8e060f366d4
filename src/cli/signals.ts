/**
 * Ctrl-C and `kill`: the signals that ask the CLI to stop.
 * @module
 */

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const

/**
 * Calls `listener` on every SIGINT or SIGTERM until the returned function is called. While it
 * listens, those signals no longer end the process by themselves: stopping is up to the listener.
 */
export function onStopSignal(listener: (signal: NodeJS.Signals) => void): () => void {
  for (const signal of STOP_SIGNALS) process.on(signal, listener)
  return () => {
    for (const signal of STOP_SIGNALS) process.off(signal, listener)
  }
}

/** Resolves on the first SIGINT or SIGTERM. */
export function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const off = onStopSignal((signal) => {
      off()
      resolve(signal)
    })
  })
}

// A Node module-resolution hook, registered by the CLI before it loads a worker file: it reports
// every file a worker loads outside node_modules (the worker, what it imports, what those import)
// on the MessagePort it was given, so that `edgepod dev` knows which files to watch and a load
// error can be traced to the file that caused it. It runs on Node's hooks thread.

/** @type {MessagePort | undefined} */
let port

/** @type {import('node:module').InitializeHook<{ port: MessagePort }>} */
export function initialize(data) {
  port = data.port
  // The CLI asks for a flush once a load has failed: the answer comes after every file reported
  // before it, on the same port, so the CLI then knows all of them.
  port.on('message', (message) => {
    if (message === 'flush') port?.postMessage('flushed')
  })
  port.unref()
}

/** @type {import('node:module').ResolveHook} */
export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context)
  if (result.url.startsWith('file:') && !result.url.includes('/node_modules/')) port?.postMessage(result.url)
  return result
}

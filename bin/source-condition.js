// A Node module-resolution hook (registered by edgepod.js): `edgepod` and `edgepod/*` resolve
// through the `source` export condition, to the TypeScript files tsx compiles. Only edgepod's own
// specifiers get it: other packages (eventsource-parser, for one) also declare `source`, pointing
// at files they may not publish.

/** @type {import('node:module').ResolveHook} */
export async function resolve(specifier, context, nextResolve) {
  if (specifier !== 'edgepod' && !specifier.startsWith('edgepod/')) return nextResolve(specifier, context)
  return nextResolve(specifier, { ...context, conditions: [...context.conditions, 'source'] })
}

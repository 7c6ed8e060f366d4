// A Node module-resolution hook (registered by edgepod.js in a checkout of the repository): `edgepod`
// and `edgepod/*` resolve through the package's private `edgepod-source` export condition, to the
// TypeScript sources tsx compiles, not to a dist/ that may be stale or missing.

/** @type {import('node:module').ResolveHook} */
export async function resolve(specifier, context, nextResolve) {
  if (specifier !== 'edgepod' && !specifier.startsWith('edgepod/')) return nextResolve(specifier, context)
  return nextResolve(specifier, { ...context, conditions: [...context.conditions, 'edgepod-source'] })
}

import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// Tests and examples import 'edgepod' and run its sources (the package's private `edgepod-source`
// export condition), never a dist/ that may be stale.
const conditions = ['edgepod-source', 'module', 'node', 'development|production']

export default defineConfig({
  resolve: {
    conditions,
    // Its `module` build imports without file extensions, for bundlers: the AI SDK (`ai`, run
    // through Vite below so that this applies) loads its plain build, as Node does.
    alias: { '@opentelemetry/api': fileURLToPath(new URL('node_modules/@opentelemetry/api/build/src/index.js', import.meta.url)) },
  },
  ssr: { resolve: { conditions, externalConditions: ['edgepod-source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Type tests (*.test-d.ts) hold the inference of job.input from schemas in place.
    typecheck: { enabled: true, include: ['src/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    testTimeout: 20_000,
    server: { deps: { inline: ['ai'] } },
  },
})

import { defineConfig } from 'vitest/config'

// Tests and examples import 'edgepod' and run its sources (the package's private `edgepod-source`
// export condition), never a dist/ that may be stale.
const conditions = ['edgepod-source', 'module', 'node', 'development|production']

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['edgepod-source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Type tests (*.test-d.ts) hold the inference of job.input from schemas in place.
    typecheck: { enabled: true, include: ['src/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    testTimeout: 20_000,
  },
})

import { afterEach, describe, expect, it, vi } from 'vitest'
import { envString } from './env.ts'

afterEach(() => {
  vi.unstubAllEnvs()
})

describe('envString', () => {
  it('reads the bindings first (Workers env, an adapter’s env)', () => {
    vi.stubEnv('EDGEPOD_API_KEY', 'from-process')
    expect(envString({ EDGEPOD_API_KEY: 'bound' }, 'EDGEPOD_API_KEY')).toBe('bound')
  })

  it('falls back to the process environment when the second argument is not the env (Bun, Deno)', () => {
    vi.stubEnv('EDGEPOD_API_KEY', 'from-process')
    const bunServer = { port: 3000, stop() {} }
    expect(envString(bunServer, 'EDGEPOD_API_KEY')).toBe('from-process')
    expect(envString(undefined, 'EDGEPOD_API_KEY')).toBe('from-process')
  })

  it('treats empty values as absent', () => {
    vi.stubEnv('EDGEPOD_API_KEY', '')
    expect(envString({ EDGEPOD_API_KEY: '' }, 'EDGEPOD_API_KEY')).toBeUndefined()
  })
})

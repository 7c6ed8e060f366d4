// RunPod's command-line flags, read as `python handler.py` reads them.
import { describe, expect, it } from 'vitest'
import { hasRunPodFlag, parseRunPodFlags } from './flags.ts'

describe('RunPod flags', () => {
  it('reads every flag in both spellings, with RunPod defaults, and leaves other arguments alone', () => {
    expect(parseRunPodFlags([])).toEqual({ serveApi: false, port: 8000, host: undefined, concurrency: undefined, testInput: undefined })
    expect(
      parseRunPodFlags(['--mine', 'x', '--rp_serve_api', '--rp_api_port', '9001', '--rp_api_host=0.0.0.0', '--rp_api_concurrency', '4', '--rp_log_level', 'DEBUG', '--rp_debugger'])
    ).toEqual({ serveApi: true, port: 9001, host: '0.0.0.0', concurrency: 4, testInput: undefined })
    expect(parseRunPodFlags(['--test_input', '{"input": {"a": "--b"}}']).testInput).toBe('{"input": {"a": "--b"}}')
    expect(parseRunPodFlags(['--test_input={"input":1}']).testInput).toBe('{"input":1}')
  })

  it('refuses a missing or bad value, naming the flag', () => {
    expect(() => parseRunPodFlags(['--rp_api_port'])).toThrow('--rp_api_port needs a value')
    expect(() => parseRunPodFlags(['--test_input', '--rp_serve_api'])).toThrow('--test_input needs a value')
    expect(() => parseRunPodFlags(['--rp_api_port', '70000'])).toThrow('--rp_api_port must be a number from 0 to 65535, got "70000"')
    expect(() => parseRunPodFlags(['--rp_api_port', 'http'])).toThrow('--rp_api_port must be a whole number of at least 0, got "http"')
    expect(() => parseRunPodFlags(['--rp_api_concurrency', '0'])).toThrow('--rp_api_concurrency must be a whole number of at least 1, got "0"')
  })

  it('tells whether the arguments ask a worker file to act', () => {
    expect(hasRunPodFlag(['--port', '80', 'serve'])).toBe(false)
    expect(hasRunPodFlag(['--rp_serve_api'])).toBe(true)
    expect(hasRunPodFlag(['--test_input={}'])).toBe(true)
    expect(hasRunPodFlag(['--rp_api_port', '1'])).toBe(true)
  })
})

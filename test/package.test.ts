import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'

describe('the package', () => {
  it('exports exactly this API, so every change to it shows up in review', async () => {
    expect(Object.keys(await import('edgepod')).sort()).toEqual([
      'UploadError',
      'WorkerError',
      'isTerminal',
      'isWorkerError',
      'memoryStore',
      'openaiHandler',
      'progressUpdate',
      'serverless',
      'start',
    ])
    expect(Object.keys(await import('edgepod/node')).sort()).toEqual(['serve'])
    expect(Object.keys(await import('edgepod/bun')).sort()).toEqual(['forBun', 'serve'])
    expect(Object.keys(await import('edgepod/deno')).sort()).toEqual(['forDeno', 'serve'])
    expect(Object.keys(await import('edgepod/client')).sort()).toEqual([
      'EdgepodConnectionError',
      'EdgepodError',
      'EdgepodHttpError',
      'EdgepodJobError',
      'createClient',
    ])
    expect(Object.keys(await import('edgepod/playground')).sort()).toEqual(['PLAYGROUND_PATH', 'playgroundHtml', 'playgroundPathFor', 'withPlayground'])
    expect(Object.keys(await import('edgepod/cloudflare-workers')).sort()).toEqual(['EdgepodJobs', 'progressUpdate', 'serverless', 'start'])
    expect(Object.keys(await import('edgepod/redis')).sort()).toEqual(['redisConfigFromEnv', 'redisStore'])
  })

  it('is the ESM package edgepod with an exports map and the edgepod command', async () => {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'))
    expect(pkg).toMatchObject({ name: 'edgepod', type: 'module', bin: { edgepod: './bin/edgepod.js' } })
    expect(Object.keys(pkg.exports)).toEqual(['.', './cloudflare-workers', './deno', './bun', './node', './playground', './client', './redis', './package.json'])
    // Deno refuses TypeScript under node_modules: it must get the built files, never src/.
    for (const entry of Object.values(pkg.exports)) expect(entry).not.toHaveProperty('deno')
  })

  it('keeps RunPod names on the serverless namespace', async () => {
    const { serverless } = await import('edgepod')
    expect(Object.keys(serverless).sort()).toEqual(['progressUpdate', 'progress_update', 'start'])
  })
})

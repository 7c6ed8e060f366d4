import { describe, expect, it } from 'vitest'
import { FakeLog } from '../../../test/helpers/fake-log.ts'
import { NewsWatch } from './news-watch.ts'

describe('NewsWatch', () => {
  it('settles its wait at the first event after the cursor, and holds no watcher after', async () => {
    const log = new FakeLog().outputs(2)
    const watch = new NewsWatch(log)
    watch.begin(2)
    expect(watch.news).toBe(false)
    expect(log.watching).toBe(1)
    const waited = watch.next()
    log.outputs(1, 2)
    await waited
    expect(watch.news).toBe(true)
    watch.end()
    expect(log.watching).toBe(0)
  })

  it('has news at once when the log is past the cursor already', async () => {
    const log = new FakeLog().outputs(3)
    const watch = new NewsWatch(log)
    watch.begin(1)
    expect(watch.news).toBe(true)
    await watch.next()
    watch.end()
    expect(log.watching).toBe(0)
  })

  it('ends a wait without news when woken (a ping due) or closed (the stream ended)', async () => {
    const log = new FakeLog()
    const watch = new NewsWatch(log)
    watch.begin(0)
    const woken = watch.next()
    watch.wake()
    await woken
    expect(watch.news).toBe(false)
    watch.end()
    watch.begin(0)
    const closed = watch.next()
    watch.close()
    await closed
    watch.end()
    // A closed watch never waits again.
    await watch.next()
    expect(log.watching).toBe(0)
  })
})

import { describe, it, expect, vi } from 'vitest'
import type { LogEvent, LogEventType } from '../job-state.ts'
import { EventLog } from './event-log.ts'

/** The events of the current attempt after `seq`, an object each. */
function after(log: EventLog, seq: number): LogEvent[] {
  const types: LogEventType[] = []
  const jsons: string[] = []
  const first = log.readAfter(seq, Infinity, types, jsons)
  return jsons.map((json, index) => ({ seq: first + index, type: types[index]!, json }))
}

/** The event numbered `seq`, if it is in the current attempt. */
function at(log: EventLog, seq: number): LogEvent | undefined {
  const type = log.typeAt(seq)
  return type === undefined ? undefined : { seq, type, json: log.jsonAt(seq) }
}

/** The JSON of the current attempt's outputs, in order. */
const outputsOf = (log: EventLog) => after(log, 0).filter((event) => event.type === 'output').map((event) => event.json)

/** Characters of JSON in the current attempt. */
const jsonLengthOf = (log: EventLog) => after(log, 0).reduce((sum, event) => sum + event.json.length, 0)

function logWith(...events: Array<[LogEventType, string]>): EventLog {
  const log = new EventLog()
  for (const [type, json] of events) log.append(type, json)
  return log
}

describe('EventLog', () => {
  describe('a new log', () => {
    it('is empty, numbered from zero and not done', () => {
      const log = new EventLog()
      expect(log.lastSeq).toBe(0)
      expect(log.baseSeq).toBe(0)
      expect(jsonLengthOf(log)).toBe(0)
      expect(log.done).toBe(false)
      expect(after(log, 0)).toEqual([])
      expect(at(log, 0)).toBeUndefined()
      expect(at(log, 1)).toBeUndefined()
      expect(outputsOf(log)).toEqual([])
    })
  })

  describe('append', () => {
    it('numbers events from 1 and returns each seq', () => {
      const log = new EventLog()
      expect(log.append('output', '"a"')).toBe(1)
      expect(log.append('progress', '0.5')).toBe(2)
      expect(log.append('output', '"b"')).toBe(3)
      expect(log.lastSeq).toBe(3)
    })

    it('stores the JSON exactly as given, with its seq and type', () => {
      const log = logWith(['output', '{"a" : [1, 2]}'])
      expect(at(log, 1)).toEqual({ seq: 1, type: 'output', json: '{"a" : [1, 2]}' })
    })

    it('adds up the length of every JSON in UTF-16 units', () => {
      const log = logWith(['output', '"abc"'], ['progress', '1'], ['output', '"😀"'])
      expect(jsonLengthOf(log)).toBe(5 + 1 + 4)
    })
  })

  describe('at', () => {
    const log = logWith(['output', '"a"'], ['progress', '1'], ['done', '{}'])

    it.each<[number, string | undefined]>([
      [1, '"a"'],
      [2, '1'],
      [3, '{}'],
    ])('finds event %d', (seq, json) => {
      expect(at(log, seq)?.seq).toBe(seq)
      expect(at(log, seq)?.json).toBe(json)
    })

    it.each<[number]>([[0], [-1], [4], [100]])('finds nothing at %d', (seq) => {
      expect(at(log, seq)).toBeUndefined()
    })
  })

  describe('after', () => {
    const log = logWith(['output', '"a"'], ['progress', '1'], ['output', '"b"'], ['done', '{}'])

    it.each<[number, number[]]>([
      [-10, [1, 2, 3, 4]],
      [0, [1, 2, 3, 4]],
      [1, [2, 3, 4]],
      [2, [3, 4]],
      [3, [4]],
      [4, []],
      [99, []],
    ])('after(%d) gives the events numbered %j, in order', (seq, expected) => {
      expect(after(log, seq).map((event) => event.seq)).toEqual(expected)
    })

    it('returns a copy that appending to the log does not change', () => {
      const growing = logWith(['output', '1'])
      const snapshot = after(growing, 0)
      growing.append('output', '2')
      expect(snapshot).toHaveLength(1)
      expect(after(growing, 0)).toHaveLength(2)
    })
  })

  describe('a log longer than one batch', () => {
    // Events are kept in batches of 256 joined strings: every event must still come back whole.
    const types: LogEventType[] = ['output', 'output', 'progress', 'output', 'done']
    const events = Array.from({ length: 1000 }, (_, i): [LogEventType, string] => [types[i % types.length]!, JSON.stringify({ i, s: '€'.repeat(i % 7) })])
    const log = logWith(...events)

    it('gives back every event, its type and its JSON exactly, by at and after', () => {
      expect(log.lastSeq).toBe(1000)
      const expected = events.map(([type, json], i) => ({ seq: i + 1, type, json }))
      expect(expected.map((event) => at(log, event.seq))).toEqual(expected)
      expect(after(log, 0)).toEqual(expected)
      expect(after(log, 700)).toEqual(expected.slice(700))
    })

    it('answers typeAt and jsonAt as at does', () => {
      for (const seq of [1, 255, 256, 257, 512, 513, 999, 1000]) {
        expect(log.typeAt(seq)).toBe(at(log, seq)?.type)
        expect(log.jsonAt(seq)).toBe(at(log, seq)?.json)
      }
      expect(log.typeAt(0)).toBeUndefined()
      expect(log.typeAt(1001)).toBeUndefined()
    })

    it('keeps the outputs, the length and done', () => {
      expect(outputsOf(log)).toEqual(events.filter(([type]) => type === 'output').map(([, json]) => json))
      expect(jsonLengthOf(log)).toBe(events.reduce((sum, [, json]) => sum + json.length, 0))
      expect(log.done).toBe(true)
    })

    it('is restored from its own events as it was', () => {
      const restored = new EventLog({ baseSeq: 7, events: after(log, 0) })
      expect(restored.lastSeq).toBe(1007)
      expect(at(restored, 263)).toEqual({ ...at(log, 256)!, seq: 263 })
      expect(outputsOf(restored)).toEqual(outputsOf(log))
    })
  })

  describe('a sealed log', () => {
    // An ended attempt's log is sealed: its open events joined into a batch however few they are.
    const events: Array<[LogEventType, string]> = [
      ['output', '"a"'],
      ['log', '{"message":"€"}'],
      ['progress', '0.5'],
      ['output', '{"b":[1,2]}'],
      ['done', '{"id":"j","status":"COMPLETED"}'],
    ]

    it('gives back every event, its type and its JSON as before', () => {
      const log = logWith(...events)
      const before = after(log, 0)
      log.seal()
      expect(after(log, 0)).toEqual(before)
      expect(after(log, 3)).toEqual(before.slice(3))
      for (const event of before) expect(at(log, event.seq)).toEqual(event)
      expect(log.done).toBe(true)
      expect(outputsOf(log)).toEqual(['"a"', '{"b":[1,2]}'])
    })

    it('takes more events after it, numbered on, and can be sealed again', () => {
      const log = logWith(...events)
      log.seal()
      expect(log.append('output', '"late"')).toBe(6)
      expect(after(log, 4).map((event) => [event.seq, event.type, event.json])).toEqual([
        [5, 'done', events[4]![1]],
        [6, 'output', '"late"'],
      ])
      log.seal()
      log.seal()
      expect(after(log, 0).map((event) => event.json)).toEqual([...events.map(([, json]) => json), '"late"'])
    })

    it('keeps whole batches whole: sealed at 256 events, at 300, then filled past the next batch', () => {
      const json = (i: number) => JSON.stringify({ i })
      for (const count of [256, 300]) {
        const log = new EventLog()
        for (let i = 0; i < count; i++) log.append(i % 3 === 0 ? 'progress' : 'output', json(i))
        log.seal()
        for (let i = count; i < 600; i++) log.append('output', json(i))
        log.seal()
        const read = after(log, 0)
        expect(read).toHaveLength(600)
        read.forEach((event, i) => {
          expect(event).toEqual({ seq: i + 1, type: i < count && i % 3 === 0 ? 'progress' : 'output', json: json(i) })
        })
      }
    })

    it('restarts as any log does', () => {
      const log = logWith(...events)
      log.seal()
      log.restart()
      expect(after(log, 0)).toEqual([])
      log.append('output', '"again"')
      expect(after(log, 0)).toEqual([{ seq: 6, type: 'output', json: '"again"' }])
    })

    it('is harmless on an empty log', () => {
      const log = new EventLog()
      log.seal()
      expect(after(log, 0)).toEqual([])
      expect(log.append('done', '{}')).toBe(1)
      expect(log.done).toBe(true)
    })
  })

  describe('outputs', () => {
    it('gives the JSON of the output events only, in order', () => {
      const log = logWith(['progress', '0'], ['output', '"a"'], ['progress', '0.5'], ['output', '"b"'], ['done', '{"status":"COMPLETED"}'])
      expect(outputsOf(log)).toEqual(['"a"', '"b"'])
    })

    it('is empty when only progress and done were appended', () => {
      expect(outputsOf(logWith(['progress', '1'], ['done', '{}']))).toEqual([])
    })
  })

  describe('done', () => {
    it('is false while only outputs and progress are in the log', () => {
      const log = logWith(['output', '1'], ['progress', '2'])
      expect(log.done).toBe(false)
    })

    it('is true once the done event is appended', () => {
      const log = logWith(['output', '1'])
      log.append('done', '{"status":"FAILED"}')
      expect(log.done).toBe(true)
    })

    it('is true for a log holding only a done event', () => {
      expect(logWith(['done', '{}']).done).toBe(true)
    })
  })

  describe('onAppend', () => {
    it('calls a listener once, at the next append, after the event is readable', () => {
      const log = new EventLog()
      const seen: number[] = []
      const listener = vi.fn(() => {
        seen.push(log.lastSeq)
        expect(at(log, log.lastSeq)?.json).toBe('"first"')
      })
      log.onAppend(listener)
      expect(listener).not.toHaveBeenCalled()
      log.append('output', '"first"')
      log.append('output', '"second"')
      expect(listener).toHaveBeenCalledTimes(1)
      expect(seen).toEqual([1])
    })

    it('calls every listener registered before the append', () => {
      const log = new EventLog()
      const listeners = [vi.fn(), vi.fn(), vi.fn()]
      for (const listener of listeners) log.onAppend(listener)
      log.append('progress', '1')
      for (const listener of listeners) expect(listener).toHaveBeenCalledTimes(1)
    })

    it('calls a listener registered twice only once', () => {
      const log = new EventLog()
      const listener = vi.fn()
      log.onAppend(listener)
      log.onAppend(listener)
      log.append('output', '1')
      expect(listener).toHaveBeenCalledTimes(1)
    })

    it('does not call a listener that was removed', () => {
      const log = new EventLog()
      const removed = vi.fn()
      const kept = vi.fn()
      log.onAppend(removed)
      log.onAppend(kept)
      log.offAppend(removed)
      log.append('output', '1')
      expect(removed).not.toHaveBeenCalled()
      expect(kept).toHaveBeenCalledTimes(1)
    })

    it('lets a listener be removed after it was called, harmlessly', () => {
      const log = new EventLog()
      const listener = vi.fn()
      log.onAppend(listener)
      log.append('output', '1')
      expect(() => log.offAppend(listener)).not.toThrow()
      log.append('output', '2')
      expect(listener).toHaveBeenCalledTimes(1)
    })

    it('calls a listener that re-registers itself at the following append, not the current one', () => {
      const log = new EventLog()
      const calls: number[] = []
      const listener = () => {
        calls.push(log.lastSeq)
        log.onAppend(listener)
      }
      log.onAppend(listener)
      log.append('output', '1')
      expect(calls).toEqual([1])
      log.append('output', '2')
      log.append('output', '3')
      expect(calls).toEqual([1, 2, 3])
    })

    it('keeps pending listeners across a restart and calls them at the next append', () => {
      const log = logWith(['output', '1'], ['done', '{}'])
      const listener = vi.fn()
      log.onAppend(listener)
      log.restart()
      expect(listener).not.toHaveBeenCalled()
      log.append('output', '2')
      expect(listener).toHaveBeenCalledTimes(1)
    })
  })

  describe('restart', () => {
    function restarted(): EventLog {
      const log = logWith(['output', '"a"'], ['progress', '1'], ['done', '{"status":"FAILED"}'])
      log.restart()
      return log
    }

    it('drops the events of the old attempt but keeps the numbering', () => {
      const log = restarted()
      expect(log.lastSeq).toBe(3)
      expect(log.baseSeq).toBe(3)
      expect(log.done).toBe(false)
      expect(outputsOf(log)).toEqual([])
      expect(jsonLengthOf(log)).toBe(0)
      expect(after(log, 0)).toEqual([])
      expect(at(log, 1)).toBeUndefined()
      expect(at(log, 3)).toBeUndefined()
    })

    it('numbers the new attempt after the old one', () => {
      const log = restarted()
      expect(log.append('output', '"b"')).toBe(4)
      expect(log.append('done', '{"status":"COMPLETED"}')).toBe(5)
      expect(at(log, 4)).toEqual({ seq: 4, type: 'output', json: '"b"' })
      expect(at(log, 5)?.type).toBe('done')
      expect(at(log, 6)).toBeUndefined()
      expect(outputsOf(log)).toEqual(['"b"'])
      expect(log.done).toBe(true)
      expect(jsonLengthOf(log)).toBe(3 + '{"status":"COMPLETED"}'.length)
    })

    it.each<[number, number[]]>([
      [0, [4, 5]],
      [2, [4, 5]],
      [3, [4, 5]],
      [4, [5]],
      [5, []],
    ])('after(%d) gives the new attempt’s events %j: a reader from the old attempt misses nothing', (seq, expected) => {
      const log = restarted()
      log.append('output', '"b"')
      log.append('done', '{}')
      expect(after(log, seq).map((event) => event.seq)).toEqual(expected)
    })

    it('keeps numbering monotonic over several restarts, including empty attempts', () => {
      const log = new EventLog()
      const seqs: number[] = []
      seqs.push(log.append('output', '1'))
      log.restart()
      log.restart()
      seqs.push(log.append('output', '2'), log.append('done', '{}'))
      log.restart()
      seqs.push(log.append('progress', '3'))
      expect(seqs).toEqual([1, 2, 3, 4])
      expect(log.baseSeq).toBe(3)
      expect(after(log, 0).map((event) => event.seq)).toEqual([4])
    })

    it('restarts a log that never had events at zero', () => {
      const log = new EventLog()
      log.restart()
      expect(log.lastSeq).toBe(0)
      expect(log.append('output', '1')).toBe(1)
    })
  })
})

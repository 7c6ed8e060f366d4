/**
 * The `data:` of each SSE frame of a body read in chunks: what the fleet's latency metric needs of
 * a stream (each event's stamp), with frames and lines split anywhere between chunks.
 * @module
 */

/**
 * Gives each complete frame's data (its `data:` lines joined by `\n`) to `onData`, in order; a
 * frame without data (the opening comment, a ping) gives nothing. Feed it the body's text.
 */
export function sseDataOf(onData: (data: string) => void): (text: string) => void {
  let pending = ''
  return (text) => {
    pending += text
    let end = pending.indexOf('\n\n')
    while (end !== -1) {
      const frame = pending.slice(0, end)
      pending = pending.slice(end + 2)
      const data: string[] = []
      for (const line of frame.split('\n')) {
        // `data:` with or without its one optional space, as the SSE spec reads it.
        if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5))
      }
      if (data.length > 0) onData(data.join('\n'))
      end = pending.indexOf('\n\n')
    }
  }
}

/** A response body read as text pieces: Node's `IncomingMessage`, or anything alike. */
export interface TextResponse {
  setEncoding(encoding: 'utf8'): unknown
  on(event: 'data', listener: (text: string) => void): unknown
  once(event: 'end' | 'error', listener: (error?: unknown) => void): unknown
}

/**
 * Reads `response` to its end, calling `onText` with each piece and the wall-clock time it arrived
 * (taken on 'data', not through an async iterator: no promise between the socket and the clock).
 */
export function readArrivals(response: TextResponse, now: () => number, onText: (text: string, arrived: number) => void): Promise<void> {
  response.setEncoding('utf8')
  return new Promise<void>((resolve, reject) => {
    response.on('data', (text: string) => onText(text, now()))
    response.once('end', () => resolve())
    response.once('error', reject)
  })
}

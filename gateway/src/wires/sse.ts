export interface SseEvent {
  event: string
  data: string
}

/**
 * Split SSE text into events. Runs after a stream has finished, off the request path, so it
 * favours clarity over speed. A partial event at either edge (a truncated capture) is kept
 * and simply fails to parse as JSON later.
 */
export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = []
  for (const block of text.split(/\r?\n\r?\n/)) {
    let event = ''
    const data: string[] = []
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('data:')) data.push(line.slice(line[5] === ' ' ? 6 : 5))
      else if (line.startsWith('event:')) event = line.slice(6).trim()
    }
    if (data.length) events.push({ event, data: data.join('\n') })
  }
  return events
}

/**
 * JSON of a shape we do not control (a provider's body): read defensively, each value checked
 * where it is used (num(), str()), so `any` is confined to this one alias.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any

export function tryJson(text: string): Json {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

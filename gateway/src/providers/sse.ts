export interface SseEvent { event: string; data: string }

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

export function tryJson(text: string): any {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

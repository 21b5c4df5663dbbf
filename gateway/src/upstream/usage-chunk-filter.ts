/**
 * Removes from an OpenAI-style SSE stream the usage-only chunk (`"choices":[]` with a usage
 * object) that the gateway asked for on the client's behalf. Bytes pass through as slices of the
 * chunks received; only an event split across two chunks is joined.
 */
export class UsageChunkFilter {
  private pending: Buffer | null = null

  /** The parts of `chunk` to send now, in order. */
  push(chunk: Buffer): Buffer[] {
    const data = this.pending ? Buffer.concat([this.pending, chunk]) : chunk
    this.pending = null
    const out: Buffer[] = []
    let sentUpTo = 0
    let start = 0
    // The next `"usage"` in the chunk, found once, not searched for again from every event.
    let usageAt = data.indexOf(USAGE)
    for (;;) {
      const end = eventEnd(data, start)
      if (end < 0) break
      if (usageAt >= 0 && usageAt < start) usageAt = data.indexOf(USAGE, start)
      if (usageAt >= start && usageAt < end && isUsageOnly(data, usageAt, start, end)) {
        if (start > sentUpTo) out.push(data.subarray(sentUpTo, start))
        sentUpTo = end
      }
      start = end
    }
    if (start > sentUpTo) out.push(data.subarray(sentUpTo, start))
    if (start < data.length) this.pending = data.subarray(start)
    return out
  }

  /** Whatever is left when the upstream ends (an unterminated last event). */
  end(): Buffer | null {
    const rest = this.pending
    this.pending = null
    return rest
  }
}

/** Index just past the blank line ending the event that starts at `from`, or -1. */
function eventEnd(buf: Buffer, from: number): number {
  let i = buf.indexOf(10, from)
  while (i >= 0 && i + 1 < buf.length) {
    if (buf[i + 1] === 10) return i + 2
    if (buf[i + 1] === 13 && buf[i + 2] === 10) return i + 3
    i = buf.indexOf(10, i + 1)
  }
  return -1
}

const USAGE = Buffer.from('"usage"')

/** `at` is where `"usage"` appears inside the event [start, end). */
function isUsageOnly(buf: Buffer, at: number, start: number, end: number): boolean {
  // With include_usage every chunk carries `"usage":null`; skip those without parsing.
  let i = at + USAGE.length
  while (i < end && (buf[i] === 0x3a || buf[i] === 0x20)) i++
  if (buf[i] === 0x6e) return false
  const text = buf.toString('utf8', start, end)
  const data = text.match(/^data: ?(.*)$/m)?.[1]
  if (!data) return false
  try {
    const ev = JSON.parse(data)
    return Array.isArray(ev.choices) && ev.choices.length === 0 && ev.usage !== null && typeof ev.usage === 'object'
  } catch {
    return false
  }
}

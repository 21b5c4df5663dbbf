/**
 * Finds the first output token in a stream as its bytes pass: a text, tool-call or reasoning
 * delta, never the envelope events before it (`response.created`, `message_start`, a role-only
 * chunk). Scans only until it finds one, and only the chunk's bytes plus a short carry-over from
 * the previous chunk, so a pattern split between two chunks is still seen.
 */
export interface FirstTokenScanner {
  /** True once this chunk (with what came before) holds the first output token. */
  seen(chunk: Buffer): boolean
}

/** How one wire format marks output: byte-level tests over a window of the stream. */
type Matcher = (buf: Buffer) => boolean

const CARRY = 64

class Scanner implements FirstTokenScanner {
  private carry: Buffer | null = null

  constructor(private readonly match: Matcher) {}

  seen(chunk: Buffer): boolean {
    if (this.match(chunk)) return true
    // The seam between chunks: the previous tail joined with this head (small, and only until found).
    if (this.carry && this.match(Buffer.concat([this.carry, chunk.subarray(0, CARRY)]))) return true
    this.carry =
      chunk.length >= CARRY
        ? chunk.subarray(chunk.length - CARRY)
        : Buffer.concat(this.carry ? [this.carry, chunk] : [chunk]).subarray(-CARRY)
    return false
  }
}

const b = (s: string) => Buffer.from(s)
const isSpace = (c: number | undefined) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d

/** Index just past `"key":` and any whitespace, for each occurrence of the key. */
function* valuesOf(buf: Buffer, key: Buffer): Generator<number> {
  for (let at = buf.indexOf(key); at >= 0; at = buf.indexOf(key, at + key.length)) {
    let i = at + key.length
    while (isSpace(buf[i])) i++
    if (buf[i] !== 0x3a) continue
    i++
    while (isSpace(buf[i])) i++
    yield i
  }
}

/** `"key": "x…"`, a string that is not empty. */
const nonEmptyString = (key: string): Matcher => {
  const k = b(`"${key}"`)
  return (buf) => {
    for (const i of valuesOf(buf, k)) if (buf[i] === 0x22 && i + 1 < buf.length && buf[i + 1] !== 0x22) return true
    return false
  }
}

/** `"key": [` or `"key": {`, a list or object being present at all. */
const present = (key: string): Matcher => {
  const k = b(`"${key}"`)
  return (buf) => {
    for (const i of valuesOf(buf, k)) if (buf[i] === 0x5b || buf[i] === 0x7b) return true
    return false
  }
}

/** `"type": "<prefix>…<suffix>"`: an event type read from the JSON itself. */
const eventType = (prefix: string, suffix: string): Matcher => {
  const k = b('"type"')
  const p = b(`"${prefix}`)
  const sfx = b(`${suffix}"`)
  return (buf) => {
    for (const i of valuesOf(buf, k)) {
      if (i + p.length > buf.length || buf.compare(p, 0, p.length, i, i + p.length) !== 0) continue
      const end = buf.indexOf(0x22, i + 1)
      if (end > 0 && buf.compare(sfx, 0, sfx.length, end + 1 - sfx.length, end + 1) === 0) return true
    }
    return false
  }
}

const any =
  (...ms: Matcher[]): Matcher =>
  (buf) =>
    ms.some((m) => m(buf))

/** OpenAI chat chunks: content, refusal, tool calls or reasoning (DeepSeek's, OpenRouter's). */
const openaiChat = any(
  nonEmptyString('content'),
  present('tool_calls'),
  nonEmptyString('reasoning_content'),
  nonEmptyString('reasoning'),
  nonEmptyString('refusal'),
)
/** Legacy completions: `choices[].text`. */
const openaiCompletions = nonEmptyString('text')
/** Responses: every `response.….delta` event is output (text, refusal, arguments, reasoning). */
const openaiResponses = eventType('response.', '.delta')
/** Anthropic: text, tool input and thinking all arrive as content_block_delta. */
const anthropicMessages = eventType('content_block_delta', '')
/** Gemini's native stream: a part with text (thoughts included) or a function call. */
const geminiNative = any(nonEmptyString('text'), present('functionCall'))

export type StreamFormat = 'openai-chat' | 'openai-completions' | 'openai-responses' | 'anthropic-messages' | 'gemini'

const MATCHERS: Record<StreamFormat, Matcher> = {
  'openai-chat': openaiChat,
  'openai-completions': openaiCompletions,
  'openai-responses': openaiResponses,
  'anthropic-messages': anthropicMessages,
  gemini: geminiNative,
}

export const firstTokenScanner = (format: StreamFormat): FirstTokenScanner => new Scanner(MATCHERS[format])

import { tryJson, type Json } from './sse.ts'
import type { Usage } from './usage-keys.ts'

/**
 * What a response said about itself. Usage is null when the provider did not report it: absent is
 * never recorded as 0.
 */
export interface ResponseFacts {
  /** Billed units in genai-prices' keys (see usage-keys.ts), exactly as the provider bills them. */
  usage: Usage | null
  /** Sampling rounds billed one by one (Anthropic's compaction); `usage` is their sum. */
  iterations: Usage[] | null
  /** Server-side web fetches (Anthropic), priced per call outside the price data. */
  webFetches: number | null
  /** The cost the provider itself reported (xAI's cost_in_usd_ticks, OpenRouter's usage.cost). */
  providerCostUsd: number | null
  /** The response carried usage that could not be read (cut by the capture limits): never silently tokenless. */
  usageUnreadable: boolean
  responseModel: string
  responseId: string
  finishReasons: string[]
  /** Streams only: the text reassembled from deltas. */
  outputText: string | null
  /** The provider's usage object as received, kept for audit. */
  rawUsage: unknown
}

export const emptyFacts = (): ResponseFacts => ({
  usage: null,
  iterations: null,
  webFetches: null,
  providerCostUsd: null,
  usageUnreadable: false,
  responseModel: '',
  responseId: '',
  finishReasons: [],
  outputText: null,
  rawUsage: undefined,
})

export const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null)
export const str = (v: unknown): string => (typeof v === 'string' ? v : '')

/**
 * The last `"<key>": {...}` object in text that could not be parsed whole: a body whose middle was
 * not captured, or a stream event larger than the capture. Usage sits at the end of every format's
 * last event, so the kept tail holds it.
 */
export function lastObjectAt(text: string, key: string): Json {
  const at = text.lastIndexOf(`"${key}"`)
  if (at < 0) return undefined
  const start = text.indexOf('{', at)
  if (start < 0 || !/^\s*:\s*$/.test(text.slice(at + key.length + 2, start))) return undefined
  let depth = 0
  let inString = false
  for (let i = start; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      if (c === '\\') i++
      else if (c === '"') inString = false
    } else if (c === '"') inString = true
    else if (c === '{') depth++
    else if (c === '}' && --depth === 0) return tryJson(text.slice(start, i + 1))
  }
  return undefined
}

const USAGE_KEY = /"(usage|usageMetadata)"\s*:\s*\{/

/**
 * Read a response with a wire family's reader, then flag a usage object that was there but could
 * not be read (the middle of a huge event was not kept): never silently tokenless.
 */
export function readWith<C>(
  reader: (f: ResponseFacts, text: string, ctx: C) => void,
  text: string,
  ctx: C,
): ResponseFacts {
  const f = emptyFacts()
  if (!text) return f
  reader(f, text, ctx)
  if (!f.usage && USAGE_KEY.test(text)) f.usageUnreadable = true
  return f
}

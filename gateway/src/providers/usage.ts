import type { Operation, Wire } from './types.ts'
import { parseSse, tryJson } from './sse.ts'

/**
 * What a response said about itself. Token counts are null when the provider did not report
 * them: absent is never recorded as 0.
 */
export interface ResponseFacts {
  inputTokens: number | null
  outputTokens: number | null
  cacheReadTokens: number | null
  cacheWriteTokens: number | null
  reasoningTokens: number | null
  responseModel: string
  responseId: string
  finishReasons: string[]
  /** Streams only: the text reassembled from deltas. */
  outputText: string | null
  /** The provider's usage object as received, kept for audit. */
  rawUsage: unknown
}

export const emptyFacts = (): ResponseFacts => ({
  inputTokens: null, outputTokens: null, cacheReadTokens: null, cacheWriteTokens: null,
  reasoningTokens: null, responseModel: '', responseId: '', finishReasons: [], outputText: null, rawUsage: undefined,
})

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)
const str = (v: unknown): string => (typeof v === 'string' ? v : '')

/** OpenAI usage: chat/completions/embeddings use prompt/completion names, responses uses input/output. */
function applyOpenAIUsage(f: ResponseFacts, u: any): void {
  if (!u || typeof u !== 'object') return
  f.rawUsage = u
  f.inputTokens = num(u.prompt_tokens) ?? num(u.input_tokens)
  f.outputTokens = num(u.completion_tokens) ?? num(u.output_tokens)
  f.cacheReadTokens = num(u.prompt_tokens_details?.cached_tokens) ?? num(u.input_tokens_details?.cached_tokens)
  f.reasoningTokens = num(u.completion_tokens_details?.reasoning_tokens) ?? num(u.output_tokens_details?.reasoning_tokens)
}

/**
 * Anthropic reports uncached input separately from cache reads and writes; we record
 * input_tokens as their sum, as the GenAI conventions and genai-prices both define it,
 * and keep the two cache counts in their own columns.
 */
function applyAnthropicUsage(f: ResponseFacts, u: any): void {
  if (!u || typeof u !== 'object') return
  f.rawUsage = { ...(f.rawUsage as object | undefined), ...u }
  const input = num(u.input_tokens)
  const read = num(u.cache_read_input_tokens)
  const write = num(u.cache_creation_input_tokens)
  if (read !== null) f.cacheReadTokens = read
  if (write !== null) f.cacheWriteTokens = write
  if (input !== null) f.inputTokens = input + (f.cacheReadTokens ?? 0) + (f.cacheWriteTokens ?? 0)
  const output = num(u.output_tokens)
  if (output !== null) f.outputTokens = output
}

function openAIJson(f: ResponseFacts, body: any, op: Operation): void {
  f.responseModel = str(body.model)
  f.responseId = str(body.id)
  applyOpenAIUsage(f, body.usage)
  if (op === 'responses') {
    if (typeof body.status === 'string') f.finishReasons = [body.status]
    return
  }
  if (Array.isArray(body.choices)) {
    f.finishReasons = body.choices.map((c: any) => str(c?.finish_reason)).filter(Boolean)
  }
}

function openAIStream(f: ResponseFacts, text: string, op: Operation): void {
  const parts: string[] = []
  for (const ev of parseSse(text)) {
    if (ev.data === '[DONE]') continue
    const d = tryJson(ev.data)
    if (!d) continue
    if (op === 'responses') {
      if (d.type === 'response.output_text.delta' && typeof d.delta === 'string') parts.push(d.delta)
      if (d.response && typeof d.response === 'object') openAIJson(f, d.response, op)
      continue
    }
    if (d.model) f.responseModel = str(d.model)
    if (d.id) f.responseId = str(d.id)
    if (d.usage) applyOpenAIUsage(f, d.usage)
    for (const c of Array.isArray(d.choices) ? d.choices : []) {
      const piece = c?.delta?.content ?? c?.text
      if (typeof piece === 'string') parts.push(piece)
      if (c?.finish_reason) f.finishReasons.push(str(c.finish_reason))
    }
  }
  f.outputText = parts.join('')
}

function anthropicJson(f: ResponseFacts, body: any): void {
  f.responseModel = str(body.model)
  f.responseId = str(body.id)
  if (body.stop_reason) f.finishReasons = [str(body.stop_reason)]
  applyAnthropicUsage(f, body.usage)
}

function anthropicStream(f: ResponseFacts, text: string): void {
  const parts: string[] = []
  for (const ev of parseSse(text)) {
    const d = tryJson(ev.data)
    if (!d) continue
    if (d.type === 'message_start' && d.message) anthropicJson(f, d.message)
    else if (d.type === 'content_block_delta' && typeof d.delta?.text === 'string') parts.push(d.delta.text)
    else if (d.type === 'message_delta') {
      if (d.delta?.stop_reason) f.finishReasons = [str(d.delta.stop_reason)]
      applyAnthropicUsage(f, d.usage)
    }
  }
  f.outputText = parts.join('')
}

/** Find the last `"usage": {...}` object in a body whose middle was not captured. */
function lastUsageObject(text: string): any {
  const at = text.lastIndexOf('"usage"')
  if (at < 0) return undefined
  const start = text.indexOf('{', at)
  if (start < 0) return undefined
  let depth = 0
  for (let i = start; i < text.length; i++) {
    if (text[i] === '{') depth++
    else if (text[i] === '}' && --depth === 0) return tryJson(text.slice(start, i + 1))
  }
  return undefined
}

/** Read tokens, model and finish reasons from a captured response body. */
export function readResponse(wire: Wire, op: Operation, stream: boolean, text: string): ResponseFacts {
  const f = emptyFacts()
  if (!text) return f
  if (stream) {
    if (wire === 'anthropic') anthropicStream(f, text)
    else openAIStream(f, text, op)
    return f
  }
  const body = tryJson(text)
  if (body && typeof body === 'object') {
    if (wire === 'anthropic') anthropicJson(f, body)
    else openAIJson(f, body, op)
  } else {
    const usage = lastUsageObject(text)
    if (wire === 'anthropic') applyAnthropicUsage(f, usage)
    else applyOpenAIUsage(f, usage)
  }
  return f
}

import { compact, type Usage } from './usage-keys.ts'
import { lastObjectAt, num, str, type ResponseFacts } from './facts.ts'
import { parseSse, tryJson, type Json } from './sse.ts'

/**
 * Gemini's native `usageMetadata`: the prompt count includes cached content; thoughts are billed
 * as output on top of the candidates; tool-use prompt tokens are billed as input.
 */
export function geminiUsage(m: Json): Usage | null {
  if (!m || typeof m !== 'object') return null
  const prompt = num(m.promptTokenCount)
  const tool = num(m.toolUsePromptTokenCount)
  const candidates = num(m.candidatesTokenCount)
  const thoughts = num(m.thoughtsTokenCount)
  const usage = compact({
    input_tokens: prompt === null && tool === null ? null : (prompt ?? 0) + (tool ?? 0),
    cache_read_tokens: num(m.cachedContentTokenCount),
    input_tool_tokens: tool,
    output_tokens: candidates === null && thoughts === null ? null : (candidates ?? 0) + (thoughts ?? 0),
    output_reasoning_tokens: thoughts,
    cache_write_tokens: null,
    cache_write_5m_tokens: null,
    cache_write_1h_tokens: null,
    web_searches: null,
  })
  return Object.keys(usage).length ? usage : null
}

/** One generateContent response (or stream chunk): the last chunk's usage covers the whole answer. */
function readChunk(f: ResponseFacts, d: Json, parts: string[]): void {
  if (!d || typeof d !== 'object') return
  if (d.modelVersion) f.responseModel = str(d.modelVersion)
  if (d.responseId) f.responseId = str(d.responseId)
  for (const c of Array.isArray(d.candidates) ? d.candidates : []) {
    for (const p of Array.isArray(c?.content?.parts) ? c.content.parts : [])
      if (typeof p?.text === 'string' && !p.thought) parts.push(p.text)
    if (c?.finishReason) f.finishReasons = [str(c.finishReason)]
  }
  const usage = geminiUsage(d.usageMetadata)
  if (usage) {
    f.usage = usage
    f.rawUsage = d.usageMetadata
  }
}

/**
 * `generateContent` answers one JSON object; `streamGenerateContent` answers SSE with `alt=sse`,
 * else one JSON array whose elements arrive over time. All three end with the usage.
 */
export function readGemini(f: ResponseFacts, text: string, ctx: { stream: boolean }): void {
  const parts: string[] = []
  if (/^\s*data:/.test(text)) for (const ev of parseSse(text)) readChunk(f, tryJson(ev.data), parts)
  else {
    const body = tryJson(text)
    for (const d of Array.isArray(body) ? body : [body]) readChunk(f, d, parts)
  }
  if (!f.usage) {
    const usage = geminiUsage(lastObjectAt(text, 'usageMetadata'))
    if (usage) f.usage = usage
  }
  if (ctx.stream) f.outputText = parts.join('')
}

/** Gemini's error object, as a stream chunk. */
export const geminiStreamError = (message: string) =>
  `data: ${JSON.stringify({ error: { code: 502, message, status: 'UNAVAILABLE' } })}\n\n`

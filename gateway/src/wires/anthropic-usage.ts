import { compact, sumUsage, type Usage } from './usage-keys.ts'
import { lastObjectAt, num, str, type ResponseFacts } from './facts.ts'
import type { ReadContext } from './types.ts'
import { parseSse, tryJson, type Json } from './sse.ts'

/**
 * One billed round of Anthropic usage. Anthropic reports uncached input apart from cache reads
 * and writes; input_tokens is recorded as their sum, as the GenAI conventions and genai-prices
 * define it. Cache writes are split by lifetime (5 minutes, 1 hour), which are priced apart.
 */
function round(u: Json): Usage {
  const input = num(u.input_tokens)
  const read = num(u.cache_read_input_tokens)
  const w5m = num(u.cache_creation?.ephemeral_5m_input_tokens)
  const w1h = num(u.cache_creation?.ephemeral_1h_input_tokens)
  const write = num(u.cache_creation_input_tokens) ?? (w5m !== null || w1h !== null ? (w5m ?? 0) + (w1h ?? 0) : null)
  return compact({
    input_tokens: input === null ? null : input + (read ?? 0) + (write ?? 0),
    cache_read_tokens: read,
    cache_write_tokens: write,
    cache_write_5m_tokens: w5m,
    cache_write_1h_tokens: w1h,
    output_tokens: num(u.output_tokens),
    output_reasoning_tokens: num(u.output_tokens_details?.thinking_tokens),
    input_tool_tokens: null,
    web_searches: null,
  })
}

/**
 * A whole usage object: with context compaction, `iterations` lists every billed round (the
 * compaction, then the message) while the top-level counts cover only the last one, so the
 * rounds are what is billed. Server-side web searches are billed per call, once per response.
 */
function applyUsage(f: ResponseFacts, u: Json): void {
  const rounds =
    Array.isArray(u.iterations) && u.iterations.length
      ? u.iterations.filter((x: unknown) => x && typeof x === 'object').map(round)
      : null
  const searches = num(u.server_tool_use?.web_search_requests)
  if (rounds?.length) {
    if (searches !== null) rounds[rounds.length - 1]!.web_searches = searches
    f.iterations = rounds
    f.usage = sumUsage(rounds)
  } else {
    f.usage = round(u)
    if (searches !== null) f.usage.web_searches = searches
  }
  if (!Object.keys(f.usage).length) f.usage = null
  f.webFetches = num(u.server_tool_use?.web_fetch_requests)
}

function readJson(f: ResponseFacts, body: Json, merged: Record<string, unknown>): void {
  f.responseModel = str(body.model)
  f.responseId = str(body.id)
  if (body.stop_reason) f.finishReasons = [str(body.stop_reason)]
  if (body.usage && typeof body.usage === 'object') Object.assign(merged, body.usage)
}

/** message_start carries the input counts, message_delta the final output (and, lately, everything). */
function readStream(f: ResponseFacts, text: string, merged: Record<string, unknown>): void {
  const parts: string[] = []
  for (const ev of parseSse(text)) {
    const d = tryJson(ev.data)
    if (!d) continue
    if (d.type === 'message_start' && d.message) readJson(f, d.message, merged)
    else if (d.type === 'content_block_delta' && typeof d.delta?.text === 'string') parts.push(d.delta.text)
    else if (d.type === 'message_delta') {
      if (d.delta?.stop_reason) f.finishReasons = [str(d.delta.stop_reason)]
      if (d.usage && typeof d.usage === 'object') Object.assign(merged, d.usage)
    }
  }
  f.outputText = parts.join('')
}

export function readAnthropic(f: ResponseFacts, text: string, ctx: ReadContext): void {
  const merged: Record<string, unknown> = {}
  if (ctx.stream) readStream(f, text, merged)
  else {
    const body = tryJson(text)
    if (body && typeof body === 'object') readJson(f, body, merged)
    // A body whose middle was not captured still ends with its usage.
    else Object.assign(merged, lastObjectAt(text, 'usage') ?? {})
  }
  if (!Object.keys(merged).length) return
  f.rawUsage = merged
  applyUsage(f, merged)
}

/** Anthropic's own stream error event. */
export const anthropicStreamError = (message: string) =>
  `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'api_error', message } })}\n\n`

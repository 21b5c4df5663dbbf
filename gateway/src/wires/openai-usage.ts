import type { ReadContext, UsageQuirks } from './types.ts'
import { compact, type Usage } from './usage-keys.ts'
import { lastObjectAt, num, str, type ResponseFacts } from './facts.ts'
import { parseSse, tryJson, type Json } from './sse.ts'

/** xAI reports its cost in ticks of 1e-10 USD. */
const USD_PER_TICK = 1e-10

/**
 * OpenAI-wire usage, in all the shapes OpenAI-compatible providers send it: chat and completions
 * (`prompt_tokens` / `completion_tokens`), Responses (`input_tokens` / `output_tokens`), cached
 * tokens under `*_details` or at the top level (Moonshot), reasoning under `*_details` or at the
 * top level (DeepSeek models on Azure). Per-provider quirks come from the adapter.
 */
export function openaiUsage(u: Json, quirks: UsageQuirks): Usage | null {
  if (!u || typeof u !== 'object') return null
  const completion = num(u.completion_tokens)
  const reasoning =
    num(u.completion_tokens_details?.reasoning_tokens) ??
    num(u.output_tokens_details?.reasoning_tokens) ??
    num(u.reasoning_tokens)
  let output = completion ?? num(u.output_tokens)
  // xAI leaves reasoning out of completion_tokens and bills it as output.
  if (quirks.reasoningOutsideOutput && completion !== null && reasoning !== null) output = completion + reasoning
  const usage = compact({
    input_tokens: num(u.prompt_tokens) ?? num(u.input_tokens),
    cache_read_tokens:
      num(u.prompt_tokens_details?.cached_tokens) ?? num(u.input_tokens_details?.cached_tokens) ?? num(u.cached_tokens),
    cache_write_tokens:
      num(u.prompt_tokens_details?.cache_write_tokens) ?? num(u.input_tokens_details?.cache_write_tokens),
    output_tokens: output,
    output_reasoning_tokens: reasoning,
    cache_write_5m_tokens: null,
    cache_write_1h_tokens: null,
    input_tool_tokens: null,
    web_searches: null,
  })
  return Object.keys(usage).length ? usage : null
}

/** What the provider says the call cost: xAI in ticks, OpenRouter in USD credits, Perplexity as an object. */
export function reportedCost(u: Json): number | null {
  if (!u || typeof u !== 'object') return null
  const ticks = num(u.cost_in_usd_ticks)
  if (ticks !== null) return ticks * USD_PER_TICK
  return num(u.cost) ?? num(u.cost?.total_cost)
}

function applyUsage(f: ResponseFacts, u: Json, quirks: UsageQuirks): void {
  const usage = openaiUsage(u, quirks)
  if (!usage) return
  f.usage = usage
  f.rawUsage = u
  f.providerCostUsd = reportedCost(u)
}

function readChatJson(f: ResponseFacts, body: Json, ctx: ReadContext): void {
  f.responseModel = str(body.model)
  f.responseId = str(body.id)
  applyUsage(f, body.usage, ctx.quirks)
  if (Array.isArray(body.choices))
    f.finishReasons = body.choices.map((c: Json) => str(c?.finish_reason)).filter(Boolean)
}

function readChatStream(f: ResponseFacts, text: string, ctx: ReadContext): void {
  const parts: string[] = []
  for (const ev of parseSse(text)) {
    if (ev.data === '[DONE]') continue
    const d = tryJson(ev.data)
    if (!d) continue
    if (d.model) f.responseModel = str(d.model)
    if (d.id) f.responseId = str(d.id)
    if (d.usage) applyUsage(f, d.usage, ctx.quirks)
    for (const c of Array.isArray(d.choices) ? d.choices : []) {
      const piece = c?.delta?.content ?? c?.text
      if (typeof piece === 'string') parts.push(piece)
      if (c?.finish_reason) f.finishReasons.push(str(c.finish_reason))
      // Moonshot puts the final usage inside the last choice.
      if (c?.usage) applyUsage(f, c.usage, ctx.quirks)
    }
  }
  f.outputText = parts.join('')
}

function readResponsesJson(f: ResponseFacts, body: Json, ctx: ReadContext): void {
  f.responseModel = str(body.model)
  f.responseId = str(body.id)
  applyUsage(f, body.usage, ctx.quirks)
  if (typeof body.status === 'string') f.finishReasons = [body.status]
}

/** Responses streams are typed events; those that carry `response` carry the whole answer so far. */
function readResponsesStream(f: ResponseFacts, text: string, ctx: ReadContext): void {
  const parts: string[] = []
  for (const ev of parseSse(text)) {
    const d = tryJson(ev.data)
    if (!d) continue
    if (d.type === 'response.output_text.delta' && typeof d.delta === 'string') parts.push(d.delta)
    if (d.response && typeof d.response === 'object') readResponsesJson(f, d.response, ctx)
  }
  f.outputText = parts.join('')
}

/**
 * An event or body too large to keep whole (a long Responses stream repeats its whole output in
 * response.completed): its usage still sits in the kept tail.
 */
function usageFromTail(f: ResponseFacts, text: string, ctx: ReadContext): void {
  if (!f.usage) applyUsage(f, lastObjectAt(text, 'usage'), ctx.quirks)
}

/** Chat, completions and embeddings: one JSON body, or chunks of `choices[].delta` (or `text`). */
export function readChatFamily(f: ResponseFacts, text: string, ctx: ReadContext): void {
  if (ctx.stream) readChatStream(f, text, ctx)
  else readChatJson(f, tryJson(text) ?? {}, ctx)
  usageFromTail(f, text, ctx)
}

/** OpenAI Responses: one JSON body, or typed events. */
export function readResponsesFamily(f: ResponseFacts, text: string, ctx: ReadContext): void {
  if (ctx.stream) readResponsesStream(f, text, ctx)
  else readResponsesJson(f, tryJson(text) ?? {}, ctx)
  usageFromTail(f, text, ctx)
}

/** How an OpenAI-style stream says it broke: an error object in a data event. */
export const openaiStreamError = (message: string) =>
  `data: ${JSON.stringify({ error: { message, type: 'upstream_error', code: 'stream_interrupted' } })}\n\n`

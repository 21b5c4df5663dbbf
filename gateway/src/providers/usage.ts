import type { Wire } from './types.ts'
import { emptyFacts, type ReadContext, type ResponseFacts } from './response-facts.ts'
import { readOpenAI } from './usage-openai.ts'
import { readAnthropic } from './usage-anthropic.ts'
import { readGemini } from './usage-gemini.ts'

export { emptyFacts, type ReadContext, type ResponseFacts } from './response-facts.ts'

/** Read tokens, model and finish reasons from a captured response body, per wire format. */
export function readResponse(wire: Wire, text: string, ctx: ReadContext): ResponseFacts {
  const f = emptyFacts()
  if (!text) return f
  if (wire === 'anthropic') readAnthropic(f, text, ctx)
  else if (wire === 'gemini') readGemini(f, text, ctx)
  else readOpenAI(f, text, ctx)
  // A usage object we saw but could not parse (the middle of a huge event was not kept).
  if (!f.usage && USAGE_KEY.test(text)) f.usageUnreadable = true
  return f
}

const USAGE_KEY = /"(usage|usageMetadata)"\s*:\s*\{/

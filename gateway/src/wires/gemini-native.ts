import type { WireFormat } from './types.ts'
import { readWith } from './facts.ts'
import { readGemini, geminiStreamError } from './gemini-usage.ts'
import { firstTokenScanner } from './first-token.ts'
import { anyRequest } from './request.ts'
import { safeDecode } from '../secrets.ts'

/** Gemini's native API names the model in the path: `v1beta/models/{model}:{method}`. */
const PATH = /^v1(?:beta|alpha)?\/(?:tunedModels|models)\/([^/:]+):(generateContent|streamGenerateContent|countTokens)$/

/**
 * Gemini's native API, when a raw path is one of its calls: the model and whether it streams
 * come from the path (the body names neither). Null for any other path.
 */
export function geminiNative(rest: string): WireFormat | null {
  const m = PATH.exec(rest)
  if (!m) return null
  const model = safeDecode(m[1]!)
  const stream = m[2] === 'streamGenerateContent'
  return {
    operation: m[2] === 'countTokens' ? 'count_tokens' : 'generate_content',
    parseRequest: (body) => anyRequest(body, model, stream),
    asksUsage: false,
    readResponse: (text, ctx) => readWith(readGemini, text, ctx),
    firstToken: () => (stream ? firstTokenScanner('gemini') : null),
    streamError: geminiStreamError,
  }
}

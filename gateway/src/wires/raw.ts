import type { ProviderType } from '@tracegate/schemas'
import type { WireFormat } from './types.ts'
import { anthropicCountTokens, anthropicMessages } from './anthropic-messages.ts'
import { geminiNative } from './gemini-native.ts'
import { openaiChat } from './openai-chat.ts'
import { openaiCompletions } from './openai-completions.ts'
import { openaiEmbeddings } from './openai-embeddings.ts'
import { openaiResponses } from './openai-responses.ts'
import { anyRequest } from './request.ts'

/** Paths nothing is known about: read for usage like an OpenAI-style JSON body, if it has one. */
const other = (operation: 'models' | 'other'): WireFormat => ({ ...openaiEmbeddings, operation })

/** The format of a request refused before its route was known. */
export const unknownWire = other('other')

/** A format as raw routes take it: the body need not name a model. */
const raw = (w: WireFormat): WireFormat => ({ ...w, parseRequest: (body) => anyRequest(body) })

// Made once: a raw request picks one, it does not build one.
const RAW = {
  countTokens: raw(anthropicCountTokens),
  anthropic: raw(anthropicMessages),
  chat: raw(openaiChat),
  completions: raw(openaiCompletions),
  embeddings: raw(openaiEmbeddings),
  responses: raw(openaiResponses),
  models: raw(other('models')),
  other: raw(other('other')),
}

/**
 * The format of a raw `/p/{provider}/…` request, judged from the path like its operation: the
 * same formats as the `/v1` routes, except that the body need not name a model. (Gemini's native
 * calls carry their model in the path, so theirs is made per request.)
 */
export function rawWire(providerType: ProviderType, rest: string): WireFormat {
  const gemini = geminiNative(rest)
  if (gemini) return gemini
  if (rest.endsWith('count_tokens')) return RAW.countTokens
  if (rest.endsWith('messages')) return providerType === 'anthropic' ? RAW.anthropic : RAW.chat
  if (rest.endsWith('chat/completions')) return RAW.chat
  if (rest.endsWith('completions')) return RAW.completions
  if (rest.endsWith('embeddings')) return RAW.embeddings
  if (rest.endsWith('responses')) return RAW.responses
  return rest.endsWith('models') ? RAW.models : RAW.other
}

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

/**
 * The format of a raw `/p/{provider}/…` request, judged from the path like its operation: the
 * same formats as the `/v1` routes, except that the body need not name a model.
 */
export function rawWire(providerType: ProviderType, rest: string): WireFormat {
  const gemini = geminiNative(rest)
  if (gemini) return gemini
  const known = (() => {
    if (rest.endsWith('count_tokens')) return anthropicCountTokens
    if (rest.endsWith('messages')) return providerType === 'anthropic' ? anthropicMessages : openaiChat
    if (rest.endsWith('chat/completions')) return openaiChat
    if (rest.endsWith('completions')) return openaiCompletions
    if (rest.endsWith('embeddings')) return openaiEmbeddings
    if (rest.endsWith('responses')) return openaiResponses
    return other(rest.endsWith('models') ? 'models' : 'other')
  })()
  return { ...known, parseRequest: (body) => anyRequest(body) }
}

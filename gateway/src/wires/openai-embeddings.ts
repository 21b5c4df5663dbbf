import type { WireFormat } from './types.ts'
import { readWith } from './facts.ts'
import { readChatFamily, openaiStreamError } from './openai-usage.ts'
import { jsonRequest } from './request.ts'

/** `POST /v1/embeddings`: one JSON answer, input tokens only. */
export const openaiEmbeddings: WireFormat = {
  operation: 'embeddings',
  parseRequest: jsonRequest,
  asksUsage: false,
  readResponse: (text, ctx) => readWith(readChatFamily, text, ctx),
  firstToken: () => null,
  streamError: openaiStreamError,
}

import type { WireFormat } from './types.ts'
import { readWith } from './facts.ts'
import { readChatFamily, openaiStreamError } from './openai-usage.ts'
import { firstTokenScanner } from './first-token.ts'
import { jsonRequest } from './request.ts'
import { readChatAnswer } from './openai-answer.ts'

/** `POST /v1/chat/completions`. */
export const openaiChat: WireFormat = {
  operation: 'chat',
  parseRequest: jsonRequest,
  asksUsage: true,
  readResponse: (text, ctx) => readWith(readChatFamily, text, ctx),
  readAnswer: readChatAnswer,
  firstToken: () => firstTokenScanner('openai-chat'),
  streamError: openaiStreamError,
}

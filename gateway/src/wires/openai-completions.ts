import type { WireFormat } from './types.ts'
import { readWith } from './facts.ts'
import { readChatFamily, openaiStreamError } from './openai-usage.ts'
import { firstTokenScanner } from './first-token.ts'
import { jsonRequest } from './request.ts'
import { readChatAnswer } from './openai-answer.ts'

/** `POST /v1/completions`, the legacy text completions: `choices[].text`. */
export const openaiCompletions: WireFormat = {
  operation: 'text_completion',
  parseRequest: jsonRequest,
  asksUsage: true,
  readResponse: (text, ctx) => readWith(readChatFamily, text, ctx),
  readAnswer: readChatAnswer,
  firstToken: () => firstTokenScanner('openai-completions'),
  streamError: openaiStreamError,
}

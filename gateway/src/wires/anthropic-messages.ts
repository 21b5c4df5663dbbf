import type { WireFormat } from './types.ts'
import { readWith } from './facts.ts'
import { readAnthropic, anthropicStreamError } from './anthropic-usage.ts'
import { firstTokenScanner } from './first-token.ts'
import { jsonRequest } from './request.ts'
import { readAnthropicAnswer } from './anthropic-answer.ts'

/** `POST /v1/messages`, Anthropic's own format. */
export const anthropicMessages: WireFormat = {
  operation: 'chat',
  parseRequest: jsonRequest,
  asksUsage: false,
  readResponse: (text, ctx) => readWith(readAnthropic, text, ctx),
  readAnswer: readAnthropicAnswer,
  firstToken: () => firstTokenScanner('anthropic-messages'),
  streamError: anthropicStreamError,
}

/** `POST /v1/messages/count_tokens`: `{"input_tokens": N}`, not billed. */
export const anthropicCountTokens: WireFormat = {
  ...anthropicMessages,
  operation: 'count_tokens',
  firstToken: () => null,
}

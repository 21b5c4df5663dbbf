import type { WireFormat } from './types.ts'
import { readWith } from './facts.ts'
import { readResponsesFamily, openaiStreamError } from './openai-usage.ts'
import { firstTokenScanner } from './first-token.ts'
import { jsonRequest } from './request.ts'
import { readResponsesAnswer } from './openai-answer.ts'

/** `POST /v1/responses`: streams report usage in `response.completed` without being asked. */
export const openaiResponses: WireFormat = {
  operation: 'responses',
  parseRequest: jsonRequest,
  asksUsage: false,
  readResponse: (text, ctx) => readWith(readResponsesFamily, text, ctx),
  readAnswer: readResponsesAnswer,
  firstToken: () => firstTokenScanner('openai-responses'),
  streamError: openaiStreamError,
}

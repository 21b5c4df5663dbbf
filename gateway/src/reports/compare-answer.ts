import type { Answer } from '../wires/answer.ts'
import { readChatAnswer, readResponsesAnswer } from '../wires/openai-answer.ts'
import { readAnthropicAnswer } from '../wires/anthropic-answer.ts'

/** The answer readers of the routes whose answers are compared, by the route the spans name. */
const READERS: Record<string, (text: string, stream: boolean) => Answer | null> = {
  '/v1/chat/completions': readChatAnswer,
  '/v1/completions': readChatAnswer,
  '/v1/responses': readResponsesAnswer,
  '/v1/messages': readAnthropicAnswer,
}

/**
 * The answer's text out of a captured response, for the drill-down to show both side by side. A
 * stream's capture already is its text (spans/build.ts keeps the assembled output); a whole body
 * is read by its route's reader. Anything unreadable (an error body, a cut capture) stays as it is.
 */
export function answerText(captured: string, route: string, stream: boolean): string {
  const read = READERS[route]
  if (stream || !read || !captured) return captured
  const answer = read(captured, false)
  return answer === null || (answer.text === '' && answer.tools.length === 0) ? captured : answer.text
}

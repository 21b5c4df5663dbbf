import type { Json } from './sse.ts'
import { jsonBody, sseJson, textOf, type Answer } from './answer.ts'

/** Only the first choice is compared: `n > 1` asks for alternatives, not one answer. */
const firstChoice = (choices: Json) => (Array.isArray(choices) ? choices.find((c) => (c?.index ?? 0) === 0) : null)

/** Chat and completions: `choices[0].message` (or `.text`), or its stream of deltas. */
export function readChatAnswer(text: string, stream: boolean): Answer | null {
  if (!stream) {
    const c = firstChoice(jsonBody(text)?.choices)
    if (!c) return null
    const calls: Json[] = Array.isArray(c.message?.tool_calls) ? c.message.tool_calls : []
    return { text: textOf(c.message?.content) || textOf(c.text), tools: calls.map((t) => textOf(t?.function?.name)) }
  }
  const parts: string[] = []
  const tools: string[] = []
  for (const d of sseJson(text)) {
    const c = firstChoice(d.choices)
    if (!c) continue
    parts.push(textOf(c.delta?.content) || textOf(c.text))
    // A tool call's name comes once, in the delta that opens it.
    for (const t of Array.isArray(c.delta?.tool_calls) ? c.delta.tool_calls : [])
      if (t?.function?.name) tools.push(textOf(t.function.name))
  }
  return { text: parts.join(''), tools }
}

function responsesOutput(body: Json): Answer {
  const parts: string[] = []
  const tools: string[] = []
  for (const item of Array.isArray(body?.output) ? body.output : []) {
    if (item?.type === 'function_call') tools.push(textOf(item.name))
    if (item?.type !== 'message' || !Array.isArray(item.content)) continue
    for (const c of item.content) if (c?.type === 'output_text') parts.push(textOf(c.text))
  }
  return { text: parts.join(''), tools }
}

/** Responses: the `output` items, or the completed response its stream ends with (else its deltas). */
export function readResponsesAnswer(text: string, stream: boolean): Answer | null {
  if (!stream) {
    const body = jsonBody(text)
    return body ? responsesOutput(body) : null
  }
  const parts: string[] = []
  const tools: string[] = []
  for (const d of sseJson(text)) {
    if (d.type === 'response.completed' && d.response) return responsesOutput(d.response)
    if (d.type === 'response.output_text.delta') parts.push(textOf(d.delta))
    if (d.type === 'response.output_item.added' && d.item?.type === 'function_call') tools.push(textOf(d.item.name))
  }
  return { text: parts.join(''), tools }
}

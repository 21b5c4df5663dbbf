import type { Json } from './sse.ts'
import { jsonBody, sseJson, textOf, type Answer } from './answer.ts'

/** Anthropic messages: text blocks and tool_use blocks, whole or as a stream of block events. */
export function readAnthropicAnswer(text: string, stream: boolean): Answer | null {
  if (!stream) {
    const blocks: Json[] | null = jsonBody(text)?.content
    if (!Array.isArray(blocks)) return null
    return {
      text: blocks.map((b) => (b?.type === 'text' ? textOf(b.text) : '')).join(''),
      tools: blocks.filter((b) => b?.type === 'tool_use').map((b) => textOf(b.name)),
    }
  }
  const parts: string[] = []
  const tools: string[] = []
  for (const d of sseJson(text)) {
    if (d.type === 'content_block_start' && d.content_block?.type === 'tool_use')
      tools.push(textOf(d.content_block.name))
    if (d.type === 'content_block_delta' && d.delta?.type === 'text_delta') parts.push(textOf(d.delta.text))
  }
  return { text: parts.join(''), tools }
}

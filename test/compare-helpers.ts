import type { ScriptedReply } from './mock-upstream.ts'

/** A chat completion body, as OpenAI answers it, with this text and these tool calls. */
export function chatReply(model: string, text: string | null, tools: string[] = []): ScriptedReply {
  return {
    contentType: 'application/json',
    body: JSON.stringify({
      id: `chatcmpl-${model}`,
      object: 'chat.completion',
      created: 1,
      model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: text,
            ...(tools.length
              ? {
                  tool_calls: tools.map((name, i) => ({
                    id: `call_${i}`,
                    type: 'function',
                    function: { name, arguments: '{}' },
                  })),
                }
              : {}),
          },
          finish_reason: tools.length ? 'tool_calls' : 'stop',
        },
      ],
      usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
    }),
  }
}

/** ClickHouse's quantileExact: the value at position ⌊q·n⌋ of the sorted values. */
export function quantileExact(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

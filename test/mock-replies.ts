import type { ServerResponse } from 'node:http'
import type { ScriptedReply } from './mock-types.ts'

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

export async function writeScripted(res: ServerResponse, r: ScriptedReply): Promise<void> {
  res.writeHead(r.status ?? 200, { 'content-type': r.contentType })
  const bytes = Buffer.from(r.body)
  const step = r.chunkBytes ?? bytes.length
  for (let at = 0; at < bytes.length; at += step) {
    if (res.destroyed) return
    res.write(bytes.subarray(at, at + step))
    if (r.chunkBytes) await new Promise((resolve) => setImmediate(resolve))
  }
  res.end()
}

import { describe, expect, it } from 'vitest'
import { firstTokenScanner, type StreamFormat } from './first-token.ts'

const sse = (data: object, event?: string) => `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`

/** Per format: what a provider sends before any output, then the first output event. */
const STREAMS: Record<StreamFormat, { envelope: string; token: string }> = {
  'openai-chat': {
    envelope: sse({
      id: 'c',
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, finish_reason: null }],
    }),
    token: sse({
      id: 'c',
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }],
    }),
  },
  'openai-completions': {
    envelope: sse({ id: 'x', object: 'text_completion', choices: [{ text: '', index: 0 }] }),
    token: sse({ id: 'x', object: 'text_completion', choices: [{ text: 'Once', index: 0 }] }),
  },
  'openai-responses': {
    envelope:
      sse(
        {
          type: 'response.created',
          response: {
            id: 'r',
            object: 'response',
            status: 'in_progress',
            instructions: 'say "type":"response.x.delta"',
            text: { format: { type: 'text' } },
            output: [],
          },
        },
        'response.created',
      ) +
      sse(
        { type: 'response.output_item.added', item: { type: 'reasoning', summary: [] } },
        'response.output_item.added',
      ),
    token: sse(
      { type: 'response.reasoning_summary_text.delta', delta: 'Thinking' },
      'response.reasoning_summary_text.delta',
    ),
  },
  'anthropic-messages': {
    envelope:
      sse(
        { type: 'message_start', message: { id: 'm', content: [], usage: { input_tokens: 5, output_tokens: 1 } } },
        'message_start',
      ) +
      sse(
        { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 't', name: 'f', input: {} } },
        'content_block_start',
      ) +
      sse({ type: 'ping' }, 'ping'),
    token: sse(
      { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"a' } },
      'content_block_delta',
    ),
  },
  gemini: {
    envelope: '',
    token: sse({
      candidates: [{ content: { parts: [{ text: 'Sure', thought: true }], role: 'model' } }],
      usageMetadata: { promptTokenCount: 9 },
    }),
  },
}

describe('first output token', () => {
  for (const [format, { envelope, token }] of Object.entries(STREAMS) as Array<
    [StreamFormat, { envelope: string; token: string }]
  >) {
    it(`${format}: the envelope is not a token; the first output is found however the bytes are cut`, () => {
      const whole = Buffer.from(envelope + token)
      for (let cut = 1; cut < whole.length; cut++) {
        const s = firstTokenScanner(format)
        const first = s.seen(whole.subarray(0, cut))
        const second = !first && s.seen(whole.subarray(cut))
        expect(first || second, `cut at ${cut}`).toBe(true)
        if (cut <= envelope.length) expect(first, `cut at ${cut}`).toBe(false)
      }
      const byByte = firstTokenScanner(format)
      let at = -1
      for (let i = 0; i < whole.length && at < 0; i++) if (byByte.seen(whole.subarray(i, i + 1))) at = i
      expect(at).toBeGreaterThanOrEqual(envelope.length)
    })
  }

  it('a chat tool call counts as output; content null does not', () => {
    const s = firstTokenScanner('openai-chat')
    expect(s.seen(Buffer.from(sse({ choices: [{ delta: { role: 'assistant', content: null } }] })))).toBe(false)
    expect(
      s.seen(
        Buffer.from(
          sse({ choices: [{ delta: { tool_calls: [{ index: 0, function: { name: 'f', arguments: '' } }] } }] }),
        ),
      ),
    ).toBe(true)
  })
})

import { describe, expect, it } from 'vitest'
import type { ReadContext } from './types.ts'
import { openaiChat } from './openai-chat.ts'
import { anthropicMessages } from './anthropic-messages.ts'

const json: ReadContext = { stream: false, quirks: {} }
const stream: ReadContext = { ...json, stream: true }

describe('each wire format reads its responses', () => {
  it('absent usage stays null, never 0', () => {
    const f = openaiChat.readResponse(
      JSON.stringify({ id: 'x', model: 'm', choices: [{ finish_reason: 'stop' }] }),
      json,
    )
    expect(f.usage).toBeNull()
    expect(f.usageUnreadable).toBe(false)
    expect(f.finishReasons).toEqual(['stop'])
  })

  it('Anthropic input tokens include cache reads and writes, kept separately too', () => {
    const body = {
      id: 'm',
      model: 'claude',
      stop_reason: 'end_turn',
      usage: { input_tokens: 10, cache_read_input_tokens: 100, cache_creation_input_tokens: 7, output_tokens: 3 },
    }
    const f = anthropicMessages.readResponse(JSON.stringify(body), json)
    expect(f.usage).toEqual({ input_tokens: 117, cache_read_tokens: 100, cache_write_tokens: 7, output_tokens: 3 })
  })

  it('finds usage at the end of a body whose middle was not captured', () => {
    const text =
      '{"id":"x","choices":[{"message":{"content":"aaa' +
      '\n\n' +
      'zzz"}}],"usage":{"prompt_tokens":9,"completion_tokens":4}}'
    expect(openaiChat.readResponse(text, json).usage).toEqual({ input_tokens: 9, output_tokens: 4 })
  })

  it('a usage object cut in two is flagged unreadable, not silently absent', () => {
    const text = '{"id":"x","usage":{"prompt_tokens":9,"completion_tok' + '\n\n' + 'ens":4}}'
    const f = openaiChat.readResponse(text, json)
    expect([f.usage, f.usageUnreadable]).toEqual([null, true])
  })

  it('Anthropic streams: message_delta output count wins over message_start placeholder', () => {
    const sse =
      [
        'event: message_start\ndata: {"type":"message_start","message":{"id":"m1","model":"claude-x","usage":{"input_tokens":5,"output_tokens":1}}}',
        'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hey"}}',
        'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":42}}',
      ].join('\n\n') + '\n\n'
    const f = anthropicMessages.readResponse(sse, stream)
    expect([f.usage?.input_tokens, f.usage?.output_tokens, f.outputText, f.finishReasons[0]]).toEqual([
      5,
      42,
      'Hey',
      'max_tokens',
    ])
  })

  it('a negative or non-numeric count is not a count', () => {
    const f = openaiChat.readResponse(JSON.stringify({ usage: { prompt_tokens: -5, completion_tokens: '7' } }), json)
    expect(f.usage).toBeNull()
  })
})

import { describe, expect, it } from 'vitest'
import { readResponse } from './usage.ts'

describe('readResponse', () => {
  it('absent usage stays null, never 0', () => {
    const f = readResponse('openai', 'chat', false, JSON.stringify({ id: 'x', model: 'm', choices: [{ finish_reason: 'stop' }] }))
    expect(f.inputTokens).toBeNull()
    expect(f.outputTokens).toBeNull()
    expect(f.finishReasons).toEqual(['stop'])
  })

  it('Anthropic input tokens include cache reads and writes, kept separately too', () => {
    const body = { id: 'm', model: 'claude', stop_reason: 'end_turn', usage: { input_tokens: 10, cache_read_input_tokens: 100, cache_creation_input_tokens: 7, output_tokens: 3 } }
    const f = readResponse('anthropic', 'chat', false, JSON.stringify(body))
    expect([f.inputTokens, f.cacheReadTokens, f.cacheWriteTokens, f.outputTokens]).toEqual([117, 100, 7, 3])
  })

  it('finds usage at the end of a body whose middle was not captured', () => {
    const text = '{"id":"x","choices":[{"message":{"content":"aaa' + '\n\n' + 'zzz"}}],"usage":{"prompt_tokens":9,"completion_tokens":4}}'
    const f = readResponse('openai', 'chat', false, text)
    expect([f.inputTokens, f.outputTokens]).toEqual([9, 4])
  })

  it('Anthropic streams: message_delta output count wins over message_start placeholder', () => {
    const sse = [
      'event: message_start\ndata: {"type":"message_start","message":{"id":"m1","model":"claude-x","usage":{"input_tokens":5,"output_tokens":1}}}',
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hey"}}',
      'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":42}}',
    ].join('\n\n') + '\n\n'
    const f = readResponse('anthropic', 'chat', true, sse)
    expect([f.inputTokens, f.outputTokens, f.outputText, f.finishReasons[0]]).toEqual([5, 42, 'Hey', 'max_tokens'])
  })
})

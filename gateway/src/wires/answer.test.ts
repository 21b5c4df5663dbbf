import { describe, expect, it } from 'vitest'
import { readChatAnswer, readResponsesAnswer } from './openai-answer.ts'
import { readAnthropicAnswer } from './anthropic-answer.ts'
import { asksJson } from './answer.ts'

const sse = (events: object[]) => events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('')

describe('answers, as shadow traffic compares them', () => {
  it('chat streams: text from the first choice only, tool names from the deltas that open them', () => {
    const text = sse([
      {
        choices: [
          { index: 0, delta: { content: 'Hel' } },
          { index: 1, delta: { content: 'XX' } },
        ],
      },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { name: 'lookup', arguments: '' } }] } }] },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{}' } }] } }] },
      { choices: [{ index: 0, delta: { content: 'lo' } }] },
    ])
    expect(readChatAnswer(`${text}data: [DONE]\n\n`, true)).toEqual({ text: 'Hello', tools: ['lookup'] })
  })

  it('Responses: the completed response wins over the deltas; function calls by name', () => {
    const response = {
      output: [
        { type: 'function_call', name: 'search' },
        { type: 'message', content: [{ type: 'output_text', text: 'Done.' }] },
      ],
    }
    expect(readResponsesAnswer(JSON.stringify(response), false)).toEqual({ text: 'Done.', tools: ['search'] })
    const stream = sse([
      { type: 'response.output_text.delta', delta: 'Do' },
      { type: 'response.completed', response },
    ])
    expect(readResponsesAnswer(stream, true)).toEqual({ text: 'Done.', tools: ['search'] })
  })

  it('Anthropic: text blocks and tool_use blocks, whole and streamed', () => {
    const body = {
      content: [
        { type: 'text', text: 'Let me check. ' },
        { type: 'tool_use', name: 'get_weather' },
      ],
    }
    expect(readAnthropicAnswer(JSON.stringify(body), false)).toEqual({ text: 'Let me check. ', tools: ['get_weather'] })
    const stream = sse([
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } },
      { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', name: 'get_weather' } },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{}' } },
    ])
    expect(readAnthropicAnswer(stream, true)).toEqual({ text: 'Hi', tools: ['get_weather'] })
  })

  it('a body cut by the capture has no answer; JSON mode is read from both request shapes', () => {
    expect(readChatAnswer('{"choices":[{"index":0,"mess', false)).toBeNull()
    expect(asksJson({ response_format: { type: 'json_schema' } })).toBe(true)
    expect(asksJson({ text: { format: { type: 'json_object' } } })).toBe(true)
    expect(asksJson({ response_format: { type: 'text' } })).toBe(false)
  })
})

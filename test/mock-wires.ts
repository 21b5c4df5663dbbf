import type { ServerResponse } from 'node:http'
import type { Json } from '../gateway/src/wires/sse.ts'
import type { Handler } from './mock-types.ts'

/** How the mock answers each wire format: OpenAI's chat, completions, embeddings and Responses, Anthropic's messages. */
/** Dated snapshot names, as OpenAI answers with them. */
const SNAPSHOTS: Record<string, string> = {
  'gpt-4o': 'gpt-4o-2024-08-06',
  'gpt-4o-mini': 'gpt-4o-mini-2024-07-18',
  'gpt-4.1': 'gpt-4.1-2025-04-14',
}
const snapshot = (m: string) => SNAPSHOTS[m] ?? m

const WORDS = ['Hello', ' from', ' the', ' mock', ' upstream', '.']

function usageFor(json: Json) {
  const input = Math.max(1, Math.ceil(JSON.stringify(json?.messages ?? json?.input ?? json?.prompt ?? '').length / 4))
  return { input, cached: Math.floor(input / 3), output: WORDS.length, reasoning: 2 }
}

const sse = (res: ServerResponse, data: unknown, event?: string) =>
  res.write(`${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`)

/**
 * Wait at least `ms` of real time. A timer counts from the event loop's cached clock, which lags
 * while the loop is busy (the gateway shares this process in tests), so one can fire early.
 */
export async function sleep(ms: number): Promise<void> {
  // No delay still yields once, so each stream chunk leaves in its own write (a 0 ms timer would cost ~1 ms).
  if (ms <= 0) return new Promise((r) => setImmediate(r))
  const until = performance.now() + ms
  do await new Promise((r) => setTimeout(r, Math.max(0, until - performance.now())))
  while (performance.now() < until)
}

/** As a provider answers: a tool call when the request offers tools, a JSON object in JSON mode, else the words. */
function chatChoice(j: Json, text: string) {
  const tool = j.tools?.[0]?.function?.name
  if (typeof tool === 'string') {
    const call = { id: 'call_mock', type: 'function', function: { name: tool, arguments: '{"city":"Paris"}' } }
    return {
      message: { role: 'assistant', content: null, tool_calls: [call], refusal: null },
      finish_reason: 'tool_calls',
    }
  }
  const content = j.response_format?.type === 'json_object' ? '{"status":"ok"}' : text
  return { message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop' }
}

const chat: Handler = async (call, res, { chunks, delay, cutAfter, firstDelay, tokenDelay }) => {
  const j = call.json
  const words = chunks > 0 ? Array.from({ length: chunks }, (_, i) => WORDS[i % WORDS.length]!) : WORDS
  const u = { ...usageFor(j), output: words.length }
  const usage = {
    prompt_tokens: u.input,
    completion_tokens: u.output,
    total_tokens: u.input + u.output,
    prompt_tokens_details: { cached_tokens: u.cached, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: u.reasoning, audio_tokens: 0 },
  }
  call.usage = {
    prompt_tokens: u.input,
    completion_tokens: u.output,
    cached_tokens: u.cached,
    reasoning_tokens: u.reasoning,
  }
  const base = { id: 'chatcmpl-mock1', created: 1764000000, model: snapshot(j.model), system_fingerprint: 'fp_mock' }
  if (!j.stream) {
    res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_mock_chat' })
    res.end(
      JSON.stringify({
        ...base,
        object: 'chat.completion',
        choices: [{ index: 0, ...chatChoice(j, words.join('')), logprobs: null }],
        usage,
        service_tier: 'default',
      }),
    )
    return
  }
  const withUsage = j.stream_options?.include_usage === true
  const extra = withUsage ? { usage: null } : {}
  res.writeHead(200, { 'content-type': 'text/event-stream', 'x-request-id': 'req_mock_chat_stream' })
  res.flushHeaders()
  if (firstDelay) await sleep(firstDelay)
  if (res.destroyed) return
  sse(res, {
    ...base,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }],
    ...extra,
  })
  for (const [i, w] of words.entries()) {
    await sleep(i === 0 ? delay + tokenDelay : delay)
    if (res.destroyed) return
    sse(res, {
      ...base,
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta: { content: w }, logprobs: null, finish_reason: null }],
      ...extra,
    })
    if (cutAfter === i + 1) {
      await sleep(20)
      res.socket?.destroy()
      return
    }
  }
  sse(res, {
    ...base,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }],
    ...extra,
  })
  if (withUsage) sse(res, { ...base, object: 'chat.completion.chunk', choices: [], usage })
  sse(res, '[DONE]')
  res.end()
}

const completions: Handler = async (call, res) => {
  const u = usageFor(call.json)
  call.usage = { prompt_tokens: u.input, completion_tokens: u.output }
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(
    JSON.stringify({
      id: 'cmpl-mock',
      object: 'text_completion',
      created: 1764000000,
      model: call.json.model,
      choices: [{ text: WORDS.join(''), index: 0, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: u.input, completion_tokens: u.output, total_tokens: u.input + u.output },
    }),
  )
}

const embeddings: Handler = async (call, res) => {
  const inputs: unknown[] = Array.isArray(call.json.input) ? call.json.input : [call.json.input]
  const u = usageFor(call.json)
  call.usage = { prompt_tokens: u.input }
  const vector = new Float32Array([0.1, -0.2, 0.3, 0.4])
  const embedding =
    call.json.encoding_format === 'base64' ? Buffer.from(vector.buffer).toString('base64') : Array.from(vector)
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(
    JSON.stringify({
      object: 'list',
      data: inputs.map((_, index) => ({ object: 'embedding', index, embedding })),
      model: call.json.model,
      usage: { prompt_tokens: u.input, total_tokens: u.input },
    }),
  )
}

const responses: Handler = async (call, res, { delay, tokenDelay }) => {
  const j = call.json
  const u = usageFor(j)
  const usage = {
    input_tokens: u.input,
    input_tokens_details: { cached_tokens: u.cached },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: u.reasoning },
    total_tokens: u.input + u.output,
  }
  call.usage = {
    input_tokens: u.input,
    output_tokens: u.output,
    cached_tokens: u.cached,
    reasoning_tokens: u.reasoning,
  }
  const text = WORDS.join('')
  const response = {
    id: 'resp_mock',
    object: 'response',
    created_at: 1764000000,
    status: 'completed',
    model: snapshot(j.model),
    output: [
      {
        id: 'msg_mock',
        type: 'message',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text, annotations: [] }],
      },
    ],
    usage,
    error: null,
    incomplete_details: null,
    instructions: null,
    metadata: {},
    parallel_tool_calls: true,
    temperature: 1,
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
  }
  if (!j.stream) {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(response))
    return
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' })
  let seq = 0
  const pending = { ...response, status: 'in_progress', output: [], usage: null }
  sse(res, { type: 'response.created', sequence_number: seq++, response: pending }, 'response.created')
  sse(res, { type: 'response.in_progress', sequence_number: seq++, response: pending }, 'response.in_progress')
  sse(
    res,
    {
      type: 'response.output_item.added',
      sequence_number: seq++,
      output_index: 0,
      item: { id: 'msg_mock', type: 'message', status: 'in_progress', role: 'assistant', content: [] },
    },
    'response.output_item.added',
  )
  sse(
    res,
    {
      type: 'response.content_part.added',
      sequence_number: seq++,
      item_id: 'msg_mock',
      output_index: 0,
      content_index: 0,
      part: { type: 'output_text', text: '', annotations: [] },
    },
    'response.content_part.added',
  )
  for (const [i, w] of WORDS.entries()) {
    await sleep(i === 0 ? delay + tokenDelay : delay)
    sse(
      res,
      {
        type: 'response.output_text.delta',
        sequence_number: seq++,
        item_id: 'msg_mock',
        output_index: 0,
        content_index: 0,
        delta: w,
      },
      'response.output_text.delta',
    )
  }
  sse(res, { type: 'response.completed', sequence_number: seq, response }, 'response.completed')
  res.end()
}

const messages: Handler = async (call, res, { delay, tokenDelay }) => {
  const j = call.json
  const u = usageFor(j)
  const cacheWrite = 3
  const uncached = Math.max(1, u.input - u.cached - cacheWrite)
  call.usage = {
    input_tokens: uncached,
    cache_read_input_tokens: u.cached,
    cache_creation_input_tokens: cacheWrite,
    output_tokens: u.output,
  }
  const message = { id: 'msg_mock1', type: 'message', role: 'assistant', model: j.model, stop_sequence: null }
  if (!j.stream) {
    res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_mock_anthropic' })
    res.end(
      JSON.stringify({
        ...message,
        content: [{ type: 'text', text: WORDS.join('') }],
        stop_reason: 'end_turn',
        usage: {
          input_tokens: uncached,
          cache_creation_input_tokens: cacheWrite,
          cache_read_input_tokens: u.cached,
          output_tokens: u.output,
        },
      }),
    )
    return
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' })
  sse(
    res,
    {
      type: 'message_start',
      message: {
        ...message,
        content: [],
        stop_reason: null,
        usage: {
          input_tokens: uncached,
          cache_creation_input_tokens: cacheWrite,
          cache_read_input_tokens: u.cached,
          output_tokens: 1,
        },
      },
    },
    'message_start',
  )
  sse(res, { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start')
  sse(res, { type: 'ping' }, 'ping')
  for (const [i, w] of WORDS.entries()) {
    await sleep(i === 0 ? delay + tokenDelay : delay)
    sse(res, { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: w } }, 'content_block_delta')
  }
  sse(res, { type: 'content_block_stop', index: 0 }, 'content_block_stop')
  sse(
    res,
    {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: u.output },
    },
    'message_delta',
  )
  sse(res, { type: 'message_stop' }, 'message_stop')
  res.end()
}

/** Anthropic's token counter: `{"input_tokens": N}`, free, no usage object. */
const countTokens: Handler = async (call, res) => {
  const { input } = usageFor(call.json)
  call.usage = { input_tokens: input }
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ input_tokens: input }))
}

const models: Handler = async (_call, res) => {
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ object: 'list', data: [{ id: 'gpt-4o', object: 'model', created: 1, owned_by: 'openai' }] }))
}

export const ROUTES: Array<[RegExp, Handler]> = [
  [/\/chat\/completions$/, chat],
  [/\/completions$/, completions],
  [/\/embeddings$/, embeddings],
  [/\/responses$/, responses],
  [/\/messages$/, messages],
  [/\/messages\/count_tokens$/, countTokens],
  [/\/models$/, models],
]

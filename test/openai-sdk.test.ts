import { beforeAll, describe, expect, it } from 'vitest'
import OpenAI from 'openai'
import { calcPrice } from '@pydantic/genai-prices'
import { useGateway, serverSpan, clientSpans } from './harness.ts'

const env = useGateway((mock) => ({ providers: { openai: { base_url: `${mock.url}/v1` } } }))
let client: OpenAI
beforeAll(() => {
  client = env.openai('sk-test-openai-byok-0123456789abcdef')
})

/** What the upstream for this call saw and reported (the mock records every call). */
const lastCall = () => env.mock.calls.at(-1)!

async function withTrace<T>(p: { withResponse(): Promise<{ data: T; response: Response }> }) {
  const { data, response } = await p.withResponse()
  return { data, traceId: response.headers.get('x-tracegate-trace-id')!, response }
}

describe('openai SDK through the gateway', () => {
  it('chat, non-streaming: response unchanged, tokens, cached tokens and cost recorded', async () => {
    const { data, traceId, response } = await withTrace(
      client.chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'Say hello, please, in a few words.' }],
        temperature: 0.2,
      }),
    )
    expect(data.choices[0]!.message.content).toBe('Hello from the mock upstream.')
    expect(response.headers.get('x-tracegate-provider')).toBe('openai')
    expect(response.headers.get('x-tracegate-model')).toBe('gpt-4o')
    expect(response.headers.get('x-request-id')).toBe('req_mock_chat')
    const sent = lastCall()
    expect(sent.headers.authorization).toBe('Bearer sk-test-openai-byok-0123456789abcdef')
    const u = sent.usage!
    const trace = await env.trace(traceId)
    const req = serverSpan(trace)
    const [attempt] = clientSpans(trace)
    expect(trace.spans).toHaveLength(2)
    expect(attempt!.parent_span_id).toBe(req.span_id)
    expect(attempt!.name).toBe('chat gpt-4o')
    expect(attempt!.input_tokens).toBe(u.prompt_tokens)
    expect(attempt!.output_tokens).toBe(u.completion_tokens)
    expect(attempt!.cache_read_tokens).toBe(u.cached_tokens)
    expect(attempt!.reasoning_tokens).toBe(u.reasoning_tokens)
    expect(attempt!.cache_write_tokens).toBeNull()
    expect(attempt!.response_model).toBe('gpt-4o-2024-08-06')
    expect(attempt!.http_status).toBe(200)
    expect(attempt!.attributes['gen_ai.request.temperature']).toBe('0.2')
    expect(attempt!.attributes['gen_ai.provider.name']).toBe('openai')
    const expected = calcPrice(
      { input_tokens: u.prompt_tokens!, output_tokens: u.completion_tokens!, cache_read_tokens: u.cached_tokens! },
      'gpt-4o-2024-08-06',
      { providerId: 'openai' },
    )!.total_price
    expect(attempt!.cost_usd).toBeCloseTo(expected, 6)
    expect(attempt!.cost_source).toBe('genai-prices')
    expect(req.cost_usd).toBeCloseTo(expected, 6)
    expect(req.input_tokens).toBe(u.prompt_tokens)
    expect(req.status).toBe('ok')
    expect(req.ttft_ms).toBeNull()
    expect(req.request_body).toContain('Say hello, please')
    expect(JSON.parse(attempt!.response_body).choices[0].message.content).toBe('Hello from the mock upstream.')
  })

  it('chat, streaming: chunks relayed, usage read from the stream, ttft recorded', async () => {
    const stream = await client.chat.completions
      .create({
        model: 'gpt-4o-mini',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'Stream to me' }],
      })
      .withResponse()
    let text = ''
    let usageChunk: OpenAI.CompletionUsage | undefined
    for await (const chunk of stream.data) {
      text += chunk.choices[0]?.delta?.content ?? ''
      if (chunk.usage) usageChunk = chunk.usage
    }
    expect(text).toBe('Hello from the mock upstream.')
    const u = lastCall().usage!
    expect(usageChunk?.prompt_tokens).toBe(u.prompt_tokens)
    const trace = await env.trace(stream.response)
    const [attempt] = clientSpans(trace)
    expect(attempt!.stream).toBe(true)
    expect(attempt!.input_tokens).toBe(u.prompt_tokens)
    expect(attempt!.output_tokens).toBe(u.completion_tokens)
    expect(attempt!.cache_read_tokens).toBe(u.cached_tokens)
    expect(attempt!.ttft_ms).toBeGreaterThan(0)
    expect(attempt!.ttft_ms!).toBeLessThanOrEqual(attempt!.duration_ms)
    expect(serverSpan(trace).ttft_ms).toBeGreaterThan(0)
    expect(attempt!.response_body).toBe('Hello from the mock upstream.')
    const expected = calcPrice(
      { input_tokens: u.prompt_tokens!, output_tokens: u.completion_tokens!, cache_read_tokens: u.cached_tokens! },
      'gpt-4o-mini-2024-07-18',
      { providerId: 'openai' },
    )!.total_price
    expect(attempt!.cost_usd).toBeCloseTo(expected, 6)
  })

  it('a client that did not ask for include_usage sees no usage chunk, and the span still has usage', async () => {
    const stream = await client.chat.completions
      .create({
        model: 'gpt-4o',
        stream: true,
        messages: [{ role: 'user', content: 'no usage for me' }],
      })
      .withResponse()
    const chunks: OpenAI.ChatCompletionChunk[] = []
    for await (const chunk of stream.data) chunks.push(chunk)
    expect(lastCall().json.stream_options).toEqual({ include_usage: true })
    expect(chunks.filter((c) => c.choices.length === 0)).toHaveLength(0)
    expect(chunks.some((c) => c.usage)).toBe(false)
    expect(chunks).toHaveLength(8)
    const trace = await env.trace(stream.response)
    expect(clientSpans(trace)[0]!.input_tokens).toBe(lastCall().usage!.prompt_tokens)
    expect(clientSpans(trace)[0]!.output_tokens).toBe(6)
  })

  it('a streamed first chunk reaches the client before the upstream has finished', async () => {
    const stream = await client.chat.completions.create(
      {
        model: 'gpt-4o',
        stream: true,
        messages: [{ role: 'user', content: 'slowly' }],
      },
      { headers: { 'x-mock-chunk-delay-ms': '150' } },
    )
    let firstAt = 0
    for await (const _ of stream) if (!firstAt) firstAt = Date.now()
    const call = lastCall()
    expect(call.finishedAt).toBeGreaterThan(0)
    // Six chunks 150 ms apart: the first must arrive long before the upstream's last byte.
    expect(call.finishedAt - firstAt).toBeGreaterThan(600)
  })

  it('embeddings: input tokens recorded, output tokens absent (not 0), cost priced', async () => {
    const { data, traceId } = await withTrace(
      client.embeddings.create({ model: 'text-embedding-3-small', input: ['alpha', 'beta'] }),
    )
    expect(data.data).toHaveLength(2)
    expect(data.data[0]!.embedding[1]).toBeCloseTo(-0.2, 5)
    const u = lastCall().usage!
    const trace = await env.trace(traceId)
    const [attempt] = clientSpans(trace)
    expect(attempt!.operation).toBe('embeddings')
    expect(attempt!.input_tokens).toBe(u.prompt_tokens)
    expect(attempt!.output_tokens).toBeNull()
    const expected = calcPrice({ input_tokens: u.prompt_tokens! }, 'text-embedding-3-small', {
      providerId: 'openai',
    })!.total_price
    expect(attempt!.cost_usd).toBeCloseTo(expected, 9)
  })

  it('responses API, non-streaming and streaming', async () => {
    const { data, traceId } = await withTrace(client.responses.create({ model: 'gpt-4.1', input: 'Tell me something' }))
    expect(data.output_text).toBe('Hello from the mock upstream.')
    const u = lastCall().usage!
    const trace = await env.trace(traceId)
    const [attempt] = clientSpans(trace)
    expect(attempt!.input_tokens).toBe(u.input_tokens)
    expect(attempt!.output_tokens).toBe(u.output_tokens)
    expect(attempt!.cache_read_tokens).toBe(u.cached_tokens)
    expect(attempt!.reasoning_tokens).toBe(u.reasoning_tokens)
    const expected = calcPrice(
      { input_tokens: u.input_tokens!, output_tokens: u.output_tokens!, cache_read_tokens: u.cached_tokens! },
      'gpt-4.1-2025-04-14',
      { providerId: 'openai' },
    )!.total_price
    expect(attempt!.cost_usd).toBeCloseTo(expected, 6)

    const stream = await client.responses.create({ model: 'gpt-4.1', input: 'Stream it', stream: true }).withResponse()
    let text = ''
    for await (const ev of stream.data) if (ev.type === 'response.output_text.delta') text += ev.delta
    expect(text).toBe('Hello from the mock upstream.')
    const su = lastCall().usage!
    const strace = await env.trace(stream.response)
    const [sattempt] = clientSpans(strace)
    expect(sattempt!.input_tokens).toBe(su.input_tokens)
    expect(sattempt!.output_tokens).toBe(su.output_tokens)
    expect(sattempt!.ttft_ms).toBeGreaterThan(0)
    expect(sattempt!.response_body).toBe('Hello from the mock upstream.')
  })

  it('legacy completions are proxied and counted', async () => {
    const { data, traceId } = await withTrace(
      client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Once upon' }),
    )
    expect(data.choices[0]!.text).toBe('Hello from the mock upstream.')
    const trace = await env.trace(traceId)
    expect(clientSpans(trace)[0]!.operation).toBe('text_completion')
    expect(clientSpans(trace)[0]!.input_tokens).toBe(lastCall().usage!.prompt_tokens)
  })
})

import { beforeAll, describe, expect, it } from 'vitest'
import Anthropic from '@anthropic-ai/sdk'
import { calcPrice } from '@pydantic/genai-prices'
import { useGateway, serverSpan, clientSpans } from './harness.ts'

const env = useGateway((mock) => ({ providers: { anthropic: { base_url: mock.url } } }))
let client: Anthropic
beforeAll(() => {
  client = env.anthropic('sk-ant-test-byok-key-abcdefghijkl')
})

/** Anthropic bills cache reads and writes at their own rates; genai-prices wants the total input. */
function expectedCost(u: Record<string, number>, model: string) {
  return calcPrice(
    {
      input_tokens: u.input_tokens! + u.cache_read_input_tokens! + u.cache_creation_input_tokens!,
      cache_read_tokens: u.cache_read_input_tokens!,
      cache_write_tokens: u.cache_creation_input_tokens!,
      output_tokens: u.output_tokens!,
    },
    model,
    { providerId: 'anthropic' },
  )!.total_price
}

describe('@anthropic-ai/sdk through the gateway', () => {
  it('messages, non-streaming: key forwarded as x-api-key, cache tokens kept apart', async () => {
    const { data, response } = await client.messages
      .create({
        model: 'claude-sonnet-4-6',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'Hello Claude, how are you today?' }],
      })
      .withResponse()
    expect(data.content[0]).toEqual({ type: 'text', text: 'Hello from the mock upstream.' })
    const call = env.mock.calls.at(-1)!
    expect(call.path).toBe('/v1/messages')
    expect(call.headers['x-api-key']).toBe('sk-ant-test-byok-key-abcdefghijkl')
    // The SDK's own anthropic-version passes through untouched.
    expect(call.headers['anthropic-version']).toMatch(/^\d{4}-\d\d-\d\d$/)
    const u = call.usage!
    const trace = await env.trace(response)
    const [attempt] = clientSpans(trace)
    expect(attempt!.provider).toBe('anthropic')
    expect(attempt!.input_tokens).toBe(u.input_tokens! + u.cache_read_input_tokens! + u.cache_creation_input_tokens!)
    expect(attempt!.cache_read_tokens).toBe(u.cache_read_input_tokens)
    expect(attempt!.cache_write_tokens).toBe(u.cache_creation_input_tokens)
    expect(attempt!.output_tokens).toBe(u.output_tokens)
    expect(attempt!.attributes['gen_ai.response.finish_reasons']).toBe('["end_turn"]')
    expect(attempt!.cost_usd).toBeCloseTo(expectedCost(u, 'claude-sonnet-4-6'), 6)
    expect(attempt!.parent_span_id).toBe(serverSpan(trace).span_id)
    expect(serverSpan(trace).name).toBe('POST /v1/messages')
  })

  it('messages, streaming: usage from message_start and message_delta, text reassembled, ttft present', async () => {
    const stream = client.messages.stream(
      {
        model: 'claude-sonnet-4-6',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'Stream a greeting' }],
      },
      { headers: { 'x-mock-chunk-delay-ms': '5' } },
    )
    const final = await stream.finalMessage()
    expect(final.content[0]).toMatchObject({ type: 'text', text: 'Hello from the mock upstream.' })
    const u = env.mock.calls.at(-1)!.usage!
    expect(final.usage.output_tokens).toBe(u.output_tokens)
    const trace = await env.trace((await stream.withResponse()).response)
    const [attempt] = clientSpans(trace)
    expect(attempt!.stream).toBe(true)
    expect(attempt!.input_tokens).toBe(u.input_tokens! + u.cache_read_input_tokens! + u.cache_creation_input_tokens!)
    expect(attempt!.cache_read_tokens).toBe(u.cache_read_input_tokens)
    expect(attempt!.cache_write_tokens).toBe(u.cache_creation_input_tokens)
    expect(attempt!.output_tokens).toBe(u.output_tokens)
    expect(attempt!.ttft_ms).toBeGreaterThan(0)
    expect(attempt!.response_body).toBe('Hello from the mock upstream.')
    expect(attempt!.cost_usd).toBeCloseTo(expectedCost(u, 'claude-sonnet-4-6'), 6)
  })

  it('messages.countTokens is forwarded and recorded as count_tokens, free, with no billed tokens', async () => {
    const { data, response } = await client.messages
      .countTokens({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'How many tokens is this?' }] })
      .withResponse()
    const call = env.mock.calls.at(-1)!
    expect(call.path).toBe('/v1/messages/count_tokens')
    expect(data.input_tokens).toBe(call.usage!.input_tokens)
    const trace = await env.trace(response)
    const [attempt] = clientSpans(trace)
    expect(serverSpan(trace).operation).toBe('count_tokens')
    expect(serverSpan(trace).name).toBe('POST /v1/messages/count_tokens')
    expect(attempt!.name).toBe('count_tokens claude-sonnet-4-6')
    expect([attempt!.cost_usd, attempt!.cost_source, attempt!.input_tokens, attempt!.output_tokens]).toEqual([
      0,
      'free',
      null,
      null,
    ])
    expect([serverSpan(trace).cost_usd, serverSpan(trace).cost_source]).toEqual([0, 'free'])
  })

  it('an OpenAI-wire model on /v1/messages is refused with a clear 400', async () => {
    const err = await client.messages
      .create({ model: 'openai/gpt-4o', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] })
      .catch((e) => e)
    expect(err).toBeInstanceOf(Anthropic.BadRequestError)
    expect(err.status).toBe(400)
    expect(err.error.error.code).toBe('unsupported_route_for_provider')
  })
})

import { beforeAll, describe, expect, it } from 'vitest'
import type OpenAI from 'openai'
import type Anthropic from '@anthropic-ai/sdk'
import { useGateway, serverSpan, clientSpans } from './harness.ts'

const env = useGateway((mock) => ({
  providers: { openai: { base_url: `${mock.url}/v1` }, anthropic: { base_url: mock.url } },
}))
let openai: OpenAI
let anthropic: Anthropic
beforeAll(() => {
  openai = env.openai('sk-ttft')
  anthropic = env.anthropic('sk-ant-ttft')
})

/** The upstream sends its envelope events at once and the first output token this much later. */
const TOKEN_DELAY_MS = 300

/** ttft is the first output token; the first byte (an envelope event) is kept apart as ttfb. */
async function expectTokenTiming(response: Response) {
  const trace = await env.trace(response)
  const [attempt] = clientSpans(trace)
  const ttfb = Number(attempt!.attributes['tracegate.ttfb_ms'])
  expect(attempt!.ttft_ms).toBeGreaterThanOrEqual(TOKEN_DELAY_MS - 5)
  // The mock waits the delay in real time after its first byte; the gateway may note that byte a
  // little late while its event loop is busy (other test files share the cores), never early.
  expect(attempt!.ttft_ms! - ttfb).toBeGreaterThanOrEqual(TOKEN_DELAY_MS - 50)
  expect(serverSpan(trace).ttft_ms).toBeGreaterThanOrEqual(attempt!.ttft_ms!)
}

describe('time to first token is the first output token, not the first byte', () => {
  it('OpenAI Responses: response.created and friends come first, the first text delta later', async () => {
    env.mock.fault({ model: 'gpt-4.1', tokenDelayMs: TOKEN_DELAY_MS, times: 1 })
    const { data, response } = await openai.responses
      .create({ model: 'gpt-4.1', input: 'hi', stream: true })
      .withResponse()
    for await (const _ of data) {
      /* drain */
    }
    await expectTokenTiming(response)
  })

  it('Anthropic messages: message_start, content_block_start and ping come first', async () => {
    env.mock.fault({ model: 'claude-sonnet-4-6', tokenDelayMs: TOKEN_DELAY_MS, times: 1 })
    const stream = anthropic.messages.stream({
      model: 'claude-sonnet-4-6',
      max_tokens: 20,
      messages: [{ role: 'user', content: 'hi' }],
    })
    await stream.finalMessage()
    await expectTokenTiming((await stream.withResponse()).response)
  })

  it('OpenAI chat: the role-only first chunk is not a token', async () => {
    env.mock.fault({ model: 'gpt-4o', tokenDelayMs: TOKEN_DELAY_MS, times: 1 })
    const { data, response } = await openai.chat.completions
      .create({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse()
    let text = ''
    for await (const c of data) text += c.choices[0]?.delta?.content ?? ''
    expect(text).toBe('Hello from the mock upstream.')
    await expectTokenTiming(response)
  })

  it('a non-streamed answer has no time to first token', async () => {
    const { response } = await openai.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse()
    const [attempt] = clientSpans(await env.trace(response))
    expect(attempt!.ttft_ms).toBeNull()
  })
})

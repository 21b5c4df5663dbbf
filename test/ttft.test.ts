import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import OpenAI from 'openai'
import Anthropic from '@anthropic-ai/sdk'
import { startMockUpstream, type MockUpstream } from './mock-upstream.ts'
import { startTestGateway, waitForTrace, serverSpan, clientSpans, type TestGateway } from './helpers.ts'

let mock: MockUpstream
let gw: TestGateway
let openai: OpenAI
let anthropic: Anthropic

/** The upstream sends its envelope events at once and the first output token this much later. */
const TOKEN_DELAY_MS = 300

beforeAll(async () => {
  mock = await startMockUpstream()
  gw = await startTestGateway({
    providers: { openai: { base_url: `${mock.url}/v1` }, anthropic: { base_url: mock.url } },
  })
  openai = new OpenAI({ apiKey: 'sk-ttft', baseURL: `${gw.url}/v1`, maxRetries: 0 })
  anthropic = new Anthropic({ apiKey: 'sk-ant-ttft', baseURL: gw.url, maxRetries: 0 })
})
afterEach(() => mock.clearFaults())
afterAll(async () => {
  await gw?.stop()
  await mock?.close()
})

/** ttft is the first output token; the first byte (an envelope event) is kept apart as ttfb. */
async function expectTokenTiming(traceId: string) {
  const trace = await waitForTrace(gw.url, traceId)
  const [attempt] = clientSpans(trace)
  const ttfb = Number(attempt!.attributes['tracegate.ttfb_ms'])
  expect(attempt!.ttft_ms).toBeGreaterThanOrEqual(TOKEN_DELAY_MS - 5)
  // Timers fire late, never early: the gap between first byte and first token is at least the delay.
  expect(attempt!.ttft_ms! - ttfb).toBeGreaterThanOrEqual(TOKEN_DELAY_MS - 5)
  expect(serverSpan(trace).ttft_ms).toBeGreaterThanOrEqual(attempt!.ttft_ms!)
}

describe('time to first token is the first output token, not the first byte', () => {
  it('OpenAI Responses: response.created and friends come first, the first text delta later', async () => {
    mock.fault({ model: 'gpt-4.1', tokenDelayMs: TOKEN_DELAY_MS, times: 1 })
    const { data, response } = await openai.responses
      .create({ model: 'gpt-4.1', input: 'hi', stream: true })
      .withResponse()
    for await (const _ of data) {
      /* drain */
    }
    await expectTokenTiming(response.headers.get('x-tracegate-trace-id')!)
  })

  it('Anthropic messages: message_start, content_block_start and ping come first', async () => {
    mock.fault({ model: 'claude-sonnet-4-6', tokenDelayMs: TOKEN_DELAY_MS, times: 1 })
    const stream = anthropic.messages.stream({
      model: 'claude-sonnet-4-6',
      max_tokens: 20,
      messages: [{ role: 'user', content: 'hi' }],
    })
    await stream.finalMessage()
    await expectTokenTiming((await stream.withResponse()).response.headers.get('x-tracegate-trace-id')!)
  })

  it('OpenAI chat: the role-only first chunk is not a token', async () => {
    mock.fault({ model: 'gpt-4o', tokenDelayMs: TOKEN_DELAY_MS, times: 1 })
    const { data, response } = await openai.chat.completions
      .create({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse()
    let text = ''
    for await (const c of data) text += c.choices[0]?.delta?.content ?? ''
    expect(text).toBe('Hello from the mock upstream.')
    await expectTokenTiming(response.headers.get('x-tracegate-trace-id')!)
  })

  it('a non-streamed answer has no time to first token', async () => {
    const { response } = await openai.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse()
    const [attempt] = clientSpans(await waitForTrace(gw.url, response.headers.get('x-tracegate-trace-id')!))
    expect(attempt!.ttft_ms).toBeNull()
  })
})

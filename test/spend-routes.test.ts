import { describe, expect, it } from 'vitest'
import OpenAI from 'openai'
import Anthropic from '@anthropic-ai/sdk'
import { serverSpan, useGateway } from './harness.ts'

/**
 * Every route a budget covers counts what it cost: the Responses API (streamed and not),
 * embeddings and Anthropic's messages (streamed), through the official SDKs with a gateway key.
 * After each, the key's spend is exactly the sum of its requests' recorded costs, nothing left held.
 */
const TOKEN = 'spend-routes-token'
const KEY = 'tg-all-routes-key1'
const env = useGateway(
  (mock) => ({
    providers: { openai: { base_url: `${mock.url}/v1` }, anthropic: { base_url: mock.url } },
    keys: [{ key: KEY, name: 'all-routes', budget_usd: 1, budget_period: 'month', tpm: 1_000_000 }],
  }),
  { adminToken: TOKEN },
)

const costs: number[] = []
async function spent(): Promise<{ spent_usd: number; held_usd: number; tpm_used: number }> {
  await env.gw.flushSpans()
  const res = await fetch(`${env.url}/api/limits/usage`, { headers: { authorization: `Bearer ${TOKEN}` } })
  const { scopes } = (await res.json()) as {
    scopes: Array<{ name: string; spent_usd: number; held_usd: number; tpm_used: number }>
  }
  return scopes.find((s) => s.name === 'all-routes')!
}
/** The request's own recorded cost, added to what the key should have spent. */
async function counted(traceId: string | null): Promise<number> {
  const cost = serverSpan(await env.trace(traceId!)).cost_usd!
  expect(cost).toBeGreaterThan(0)
  costs.push(cost)
  return cost
}
const total = () => costs.reduce((a, b) => a + b, 0)

describe('a budget counts every route', () => {
  const openai = () => new OpenAI({ apiKey: KEY, baseURL: `${env.url}/v1`, maxRetries: 0 })

  it('/v1/responses, not streamed and streamed', async () => {
    const { response } = await openai()
      .responses.create({ model: 'gpt-4o', input: 'Say hello', max_output_tokens: 50 })
      .withResponse()
    expect(response.headers.get('x-tracegate-budget-remaining-usd')).not.toBeNull()
    await counted(response.headers.get('x-tracegate-trace-id'))
    const stream = await openai()
      .responses.create({ model: 'gpt-4o', input: 'Say hello again', stream: true, max_output_tokens: 50 })
      .withResponse()
    for await (const event of stream.data) void event
    await counted(stream.response.headers.get('x-tracegate-trace-id'))
    const s = await spent()
    expect(s.spent_usd).toBeCloseTo(total(), 12)
    expect(s.held_usd).toBe(0)
  })

  it('/v1/embeddings', async () => {
    const { response } = await openai()
      .embeddings.create({ model: 'text-embedding-3-small', input: ['one sentence', 'and another'] })
      .withResponse()
    await counted(response.headers.get('x-tracegate-trace-id'))
    const s = await spent()
    expect(s.spent_usd).toBeCloseTo(total(), 12)
    expect(s.held_usd).toBe(0)
  })

  it("/v1/messages streamed with Anthropic's SDK", async () => {
    const anthropic = new Anthropic({ apiKey: KEY, baseURL: env.url, maxRetries: 0 })
    const stream = await anthropic.messages
      .create({
        model: 'claude-sonnet-4-5',
        max_tokens: 64,
        stream: true,
        messages: [{ role: 'user', content: 'Hello Claude' }],
      })
      .withResponse()
    for await (const event of stream.data) void event
    await counted(stream.response.headers.get('x-tracegate-trace-id'))
    const s = await spent()
    expect(s.spent_usd).toBeCloseTo(total(), 12)
    expect([s.held_usd, costs.length]).toEqual([0, 4])
    expect(s.tpm_used).toBeGreaterThan(0)
  })
})

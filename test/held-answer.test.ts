import { describe, expect, it } from 'vitest'
import { clientSpans, serverSpan, traceId, useGateway } from './harness.ts'

// Two attempts at most: the fallback's is the last, whatever it meets.
const env = useGateway(
  (mock) => ({
    providers: {
      openai: { base_url: `${mock.url}/v1` },
      backup: { type: 'openai-compatible', base_url: `${mock.url}/backup/v1` },
    },
    routing: { max_attempts: 2 },
    models: [
      {
        name: 'pair',
        retries: 0,
        targets: [
          { provider: 'openai', model: 'held-primary' },
          { provider: 'backup', model: 'held-backup' },
        ],
      },
    ],
  }),
  { apiKey: 'sk-held' },
)

describe("a provider's error answered after a later attempt failed without an answer", () => {
  it('is named as the provider that sent it, with its own message', async () => {
    env.mock.fault({ model: 'held-primary', status: 500, times: 1 })
    env.mock.fault({ model: 'held-backup', reset: true, times: 1 })
    const res = await env.post('/v1/chat/completions', { model: 'pair', messages: [{ role: 'user', content: 'hi' }] })
    expect(res.status).toBe(500)
    expect(res.headers.get('x-tracegate-provider')).toBe('openai')
    expect(res.headers.get('x-tracegate-model')).toBe('held-primary')
    expect(res.headers.get('x-tracegate-attempts')).toBe('2')
    await res.text()
    const trace = await env.trace(traceId(res), 3)
    expect(serverSpan(trace).status_message).toBe('upstream answered 500')
    expect(clientSpans(trace).map((s) => s.provider)).toEqual(['openai', 'backup'])
  })
})

describe('an error response too large to hold back', () => {
  it('goes to the client as it comes, from the provider that sent it, instead of growing in memory', async () => {
    const before = env.mock.calls.length
    const big = JSON.stringify({ error: { message: 'x'.repeat(3 << 20), type: 'server_error' } })
    env.mock.fault({
      model: 'held-primary',
      reply: { status: 500, contentType: 'application/json', body: big, chunkBytes: 64 << 10 },
      times: 1,
    })
    const res = await env.post('/v1/chat/completions', { model: 'pair', messages: [{ role: 'user', content: 'hi' }] })
    expect(res.status).toBe(500)
    expect(res.headers.get('x-tracegate-provider')).toBe('openai')
    expect(res.headers.get('x-tracegate-attempts')).toBe('1')
    expect((await res.text()).length).toBe(big.length)
    expect(env.mock.calls.slice(before).map((c) => c.json?.model)).toEqual(['held-primary'])
  })
})

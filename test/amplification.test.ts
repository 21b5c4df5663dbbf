import { describe, expect, it } from 'vitest'
import { Agent, request } from 'undici'
import { errorOf, useGateway } from './harness.ts'

const fast = { initial_ms: 1, max_ms: 2, multiplier: 1, jitter: 0 }
const env = useGateway(
  (mock) => ({
    providers: {
      openai: { base_url: `${mock.url}/v1` },
      slow: { type: 'openai-compatible', base_url: `${mock.url}/slow/v1`, max_connections: 2 },
      quick: { type: 'openai-compatible', base_url: `${mock.url}/quick/v1` },
    },
    models: [
      // 3 targets x 4 attempts = 12 possible attempts, more than routing.max_attempts (default 8).
      {
        name: 'greedy',
        retries: 3,
        backoff: fast,
        timeout_ms: 20_000,
        targets: [
          { provider: 'openai', model: 'g1' },
          { provider: 'openai', model: 'g2' },
          { provider: 'openai', model: 'g3' },
        ],
      },
      { name: 'patient', retries: 0, timeout_ms: 5000, targets: [{ provider: 'openai', model: 'p1' }] },
    ],
  }),
  { apiKey: 'sk-amp' },
)

describe('one request cannot multiply upstream calls', () => {
  it('headers asking for more than the caps are a 400 naming the header, before any upstream call', async () => {
    const before = env.mock.calls.length
    const cases: Array<[Record<string, string>, string]> = [
      [{ 'x-tracegate-retries': '4' }, 'x-tracegate-retries'],
      [{ 'x-tracegate-retries': '10', 'x-tracegate-fallbacks': 'a,b,c,d,e,f,g,h,i,j' }, 'x-tracegate-retries'],
      [{ 'x-tracegate-fallbacks': 'openai/a,openai/b,openai/c,openai/d' }, 'x-tracegate-fallbacks'],
      [{ 'x-tracegate-retries': '3', 'x-tracegate-fallbacks': 'openai/a,openai/b' }, 'x-tracegate-fallbacks'], // 3 targets x 4 = 12 > 8
      [{ 'x-tracegate-timeout-ms': '3600000' }, 'x-tracegate-timeout-ms'],
      [{ 'x-tracegate-timeout-ms': '5001' }, 'x-tracegate-timeout-ms'],
    ]
    for (const [headers, param] of cases) {
      const res = await env.chat('patient', headers)
      const err = await errorOf(res)
      expect([JSON.stringify(headers), res.status, err.code, err.param]).toEqual([
        JSON.stringify(headers),
        400,
        'invalid_header',
        param,
      ])
    }
    expect(env.mock.calls.length).toBe(before)
  })

  it('within the caps, headers still steer the request', async () => {
    env.mock.fault({ model: 'p1', status: 500 })
    const res = await env.chat('patient', {
      'x-tracegate-retries': '1',
      'x-tracegate-fallbacks': 'openai/rescue',
      'x-tracegate-timeout-ms': '4000',
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-tracegate-attempts')).toBe('3')
  })

  it('an alias whose retries and targets add up to more than routing.max_attempts stops at 8 attempts', async () => {
    for (const model of ['g1', 'g2', 'g3']) env.mock.fault({ model, status: 503 })
    const before = env.mock.calls.length
    const res = await env.chat('greedy')
    expect(res.status).toBe(503)
    expect(res.headers.get('x-tracegate-attempts')).toBe('8')
    expect(env.mock.calls.length - before).toBe(8)
  })
})

describe('a connection pool per provider', () => {
  it('a provider that hangs holds at most its max_connections and never delays another provider', async () => {
    env.mock.fault({ pathPrefix: '/slow/', delayHeadersMs: 1500 })
    const agent = new Agent({ connections: 20 })
    const finished: string[] = []
    const call = (model: string) =>
      request(`${env.url}/v1/chat/completions`, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'x' }] }),
      }).then(async (r) => {
        await r.body.text()
        finished.push(model)
        return r.statusCode
      })
    const slow = Array.from({ length: 6 }, () => call('slow/s'))
    await new Promise((r) => setTimeout(r, 200))
    const quick = await call('quick/q')
    expect(quick).toBe(200)
    // The quick provider answered while every slow request was still waiting.
    expect(finished).toEqual(['quick/q'])
    expect((await Promise.all(slow)).every((s) => s === 200)).toBe(true)
    expect(env.mock.maxConcurrent.get('slow')).toBe(2)
    await agent.close()
  })
})

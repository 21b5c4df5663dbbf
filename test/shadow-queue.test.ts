import { describe, expect, it } from 'vitest'
import { serverSpan, useGateway } from './harness.ts'

/**
 * Shadow calls are bounded: with one in flight and none waiting, requests sampled while the shadow
 * target is busy are not shadowed; each is counted, and its request's span says so. Their answers
 * are unaffected.
 */
const KEY = 'tg-shadow-queue-01'
const env = useGateway(
  (mock) => ({
    providers: { openai: { base_url: `${mock.url}/v1` } },
    keys: [{ key: KEY, name: 'queue' }],
    shadow: { max_in_flight: 1, max_queued: 0 },
    models: [
      {
        name: 'bot',
        targets: [{ provider: 'openai', model: 'gpt-4o' }],
        shadow: { targets: [{ provider: 'openai', model: 'gpt-4.1-mini' }], sample: 1 },
      },
    ],
  }),
  { apiKey: KEY },
)

describe('the shadow queue', () => {
  it('drops and counts what does not fit, and the clients never notice', async () => {
    env.mock.fault({ model: 'gpt-4.1-mini', times: 1, delayHeadersMs: 1000 })
    const first = await env.chat('bot')
    expect(first.status).toBe(200)
    // The first shadow call is still waiting for its headers: these two find no room.
    const more = await Promise.all([env.chat('bot'), env.chat('bot')])
    expect(more.map((r) => r.status)).toEqual([200, 200])
    for (const res of more) {
      const t = await env.trace(res, 2)
      expect(t.spans).toHaveLength(2)
      expect(serverSpan(t).events.map((e) => e.name)).toEqual(['shadow dropped: queue full'])
      expect(serverSpan(t).events[0]!.attributes['tracegate.target']).toBe('openai/gpt-4.1-mini')
      // No call, no pair: not counted among the compare report's sampled requests.
      expect(serverSpan(t).attributes['tracegate.shadow.sampled']).toBeUndefined()
    }
    const metrics = await (await fetch(`${env.url}/metrics`)).text()
    expect(metrics).toMatch(/^tracegate_shadow_dropped_total 2$/m)
    // The first request's shadow call still ends as a span of its trace.
    const t = await env.trace(first, 3)
    expect(serverSpan(t).attributes['tracegate.shadow.sampled']).toBe('true')
    expect(t.spans.filter((s) => s.attributes['tracegate.shadow'] === 'true')).toHaveLength(1)
    expect(env.mock.calls.filter((c) => c.json?.model === 'gpt-4.1-mini')).toHaveLength(1)
  })
})

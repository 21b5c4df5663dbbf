import { describe, expect, it } from 'vitest'
import { useSpawnedGateway } from './harness.ts'

/**
 * Shutdown does not wait on a shadow call past its grace period: the call is cut (the providers'
 * pools close next, and they wait for every request in flight) and its span says so, written at
 * the next start like every span left in the spool.
 */
const env = useSpawnedGateway(
  (mock) => ({
    providers: { openai: { base_url: `${mock.url}/v1` } },
    server: { shutdown_grace_ms: 200 },
    models: [
      {
        name: 'bot',
        timeout_ms: 60_000,
        targets: [{ provider: 'openai', model: 'gpt-4o' }],
        shadow: { targets: [{ provider: 'openai', model: 'gpt-4.1-mini' }], sample: 1 },
      },
    ],
  }),
  { start: false },
)

describe('a shadow call still running at shutdown', () => {
  it('is cut after the grace period and recorded as cancelled', async () => {
    // The shadow target answers only after a minute: far beyond the grace period and the test.
    env.mock.fault({ model: 'gpt-4.1-mini', delayHeadersMs: 60_000 })
    const first = env.spawn(['--config', 'tracegate.yaml'])
    const url = await first.ready()
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'bot', messages: [{ role: 'user', content: 'hi' }] }),
    })
    expect(res.status).toBe(200)
    const traceId = res.headers.get('x-tracegate-trace-id')!
    await res.text()
    while (!env.mock.calls.some((c) => c.json?.model === 'gpt-4.1-mini')) await new Promise((r) => setTimeout(r, 20))
    first.child.kill('SIGTERM')
    expect(await first.exited).toBe(0)
    expect(first.out()).toMatch(/"cut":1.*those running were cut/)

    const second = env.spawn(['--config', 'tracegate.yaml'])
    const url2 = await second.ready()
    let spans: Array<{ attributes: Record<string, string>; status_message?: string }> = []
    for (let i = 0; i < 150 && spans.length < 3; i++) {
      const t = await fetch(`${url2}/api/traces/${traceId}`)
      if (t.ok) spans = ((await t.json()) as { spans: typeof spans }).spans
      if (spans.length < 3) await new Promise((r) => setTimeout(r, 200))
    }
    const shadow = spans.find((s) => s.attributes['tracegate.shadow'] === 'true')
    expect(shadow?.attributes['error.type']).toBe('cancelled')
    second.child.kill('SIGTERM')
    expect(await second.exited).toBe(0)
  }, 60_000)
})

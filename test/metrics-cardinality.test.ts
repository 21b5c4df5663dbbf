import { describe, expect, it } from 'vitest'
import { Agent, request } from 'undici'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { useSpawnedGateway } from './harness.ts'

/**
 * Label cardinality: a client chooses model names and raw paths, so they must never become label
 * values. The gateway runs as its own process (100,000 requests need a core of their own).
 */
const env = useSpawnedGateway((mock) => ({
  providers: { openai: { base_url: `${mock.url}/v1` } },
  models: [{ name: 'smart', targets: [{ provider: 'openai', model: 'gpt-4o' }] }],
  capture_bodies: false,
}))
const N = 100_000

type Family = { metrics: Array<{ value?: string; labels?: Record<string, string> }> }

/** Sum of a counter family's samples whose labels match `where`. */
const total = (families: Map<string, Family>, name: string, where: Record<string, string> = {}) =>
  (families.get(name)?.metrics ?? [])
    .filter((m) => Object.entries(where).every(([k, v]) => m.labels?.[k] === v))
    .reduce((s, m) => s + Number(m.value), 0)

describe('/metrics under hostile label values', () => {
  it('after 100,000 requests with unique model names and raw paths it stays under 200 KB and every counter adds up', async () => {
    const agent = new Agent({ connections: 64 })
    const send = (i: number) => {
      // Half invent a model name, half a raw path too; a few use the alias or a priced model, which keep their labels.
      const model = i % 1000 === 0 ? 'smart' : i % 1000 === 2 ? 'gpt-4o' : `made-up-model-${i}`
      const path = i % 2 ? `/p/openai/unique/path/${i}?q=${i}` : '/v1/chat/completions'
      return request(`${env.url}${path}`, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-card' },
        body: `{"model":"${model}","messages":[]}`,
      }).then((r) => r.body.dump())
    }
    let next = 0
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < N) await send(next++)
      }),
    )
    await agent.close()
    // Rows reach /metrics off the request path: wait until all of them are counted.
    let text = ''
    let families = new Map<string, Family>()
    for (let i = 0; i < 100 && total(families, 'tracegate_requests_total') < N; i++) {
      await new Promise((r) => setTimeout(r, 100))
      text = await (await fetch(`${env.url}/metrics`)).text()
      families = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f as unknown as Family]))
    }
    expect(Buffer.byteLength(text)).toBeLessThan(200 * 1024)
    expect(total(families, 'tracegate_requests_total')).toBe(N)
    expect(total(families, 'tracegate_requests_total', { route: '/p/{provider}/*' })).toBe(N / 2)
    expect(total(families, 'tracegate_requests_total', { route: '/v1/chat/completions', status: '2xx' })).toBe(N / 2)
    expect(total(families, 'tracegate_requests_total', { route: '/v1/chat/completions', model: 'smart' })).toBe(
      N / 1000,
    )
    expect(total(families, 'tracegate_requests_total', { route: '/v1/chat/completions', model: 'gpt-4o' })).toBe(
      N / 1000,
    )
    expect(total(families, 'tracegate_upstream_attempts_total')).toBe(N)
    const labels = (name: string, label: string) => new Set(families.get(name)!.metrics.map((m) => m.labels![label]))
    expect([...labels('tracegate_requests_total', 'model')].sort()).toEqual(['gpt-4o', 'other', 'smart'])
    expect([...labels('tracegate_requests_total', 'route')].sort()).toEqual(['/p/{provider}/*', '/v1/chat/completions'])
    // Every label value anywhere in the text, histograms included.
    const requestModels = new Set([...text.matchAll(/gen_ai_request_model="([^"]*)"/g)].map((m) => m[1]))
    expect([...requestModels].sort()).toEqual(['gpt-4o', 'other'])
    expect(text).not.toContain('made-up-model')
    expect(text).not.toContain('unique/path')
  }, 240_000)
})

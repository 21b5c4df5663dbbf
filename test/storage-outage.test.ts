import { describe, expect, it } from 'vitest'
import { Agent, request } from 'undici'
import { useGateway } from './harness.ts'

const env = useGateway((mock) => ({
  providers: { openai: { base_url: `${mock.url}/v1` } },
  storage: { flush_ms: 100 },
}))

const count = async (sql: string) =>
  Number((await (await env.gw.store.client.query({ query: sql, format: 'JSONEachRow' })).json<{ c: number }>())[0]!.c)

describe('storage outage', () => {
  it('500 requests while the spans table is detached are answered normally, then all their spans appear exactly once', async () => {
    const db = env.gw.store.database
    await env.gw.store.client.command({ query: `DETACH TABLE ${db}.spans` })
    const agent = new Agent({ connections: 16 })
    const latencies: number[] = []
    const ids: string[] = []
    for (let i = 0; i < 500; i += 25) {
      await Promise.all(
        Array.from({ length: 25 }, async (_, j) => {
          const t = performance.now()
          const res = await request(`${env.url}/v1/chat/completions`, {
            method: 'POST',
            dispatcher: agent,
            headers: { 'content-type': 'application/json', 'x-tracegate-team': 'outage' },
            body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: `outage ${i + j}` }] }),
          })
          await res.body.json()
          latencies.push(performance.now() - t)
          expect(res.statusCode).toBe(200)
          ids.push(String(res.headers['x-tracegate-trace-id']))
        }),
      )
    }
    await agent.close()
    latencies.sort((a, b) => a - b)
    expect(ids).toHaveLength(500)
    expect(latencies[249]!).toBeLessThan(50)
    expect(env.gw.writer.stats.failedInserts).toBeGreaterThan(0)
    expect(env.gw.pendingSpans()).toBe(1000)
    const { code, body: ready } = await env.readyz()
    // chDB itself answers, but the table is gone: not ready, and the reason says which table.
    expect(code).toBe(503)
    expect(ready.status).toBe('not_ready')
    expect(ready.reasons[0]).toEqual({
      code: 'spans_table_missing',
      message: `the spans table ${db}.spans does not exist: spans wait in the spool`,
    })
    expect(ready.spans.spool_bytes).toBeGreaterThan(0)

    await env.gw.store.client.command({ query: `ATTACH TABLE ${db}.spans` })
    const until = Date.now() + 40_000
    while (env.gw.pendingSpans() > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100))
    expect(env.gw.pendingSpans()).toBe(0)
    expect(await count(`SELECT count() c FROM ${db}.spans WHERE Team = 'outage'`)).toBe(1000)
    expect(await count(`SELECT uniqExact(SpanId) c FROM ${db}.spans WHERE Team = 'outage'`)).toBe(1000)
    expect(
      await count(`SELECT uniqExact(TraceId) c FROM ${db}.spans WHERE Team = 'outage' AND SpanKind = 'Server'`),
    ).toBe(500)
    expect(await count(`SELECT sum(Requests) c FROM ${db}.spans_1m WHERE Team = 'outage'`)).toBe(500)
    expect(env.gw.writer.stats.spoolBytes).toBe(0)
  }, 90_000)
})

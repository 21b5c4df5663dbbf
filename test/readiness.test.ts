import { describe, expect, it } from 'vitest'
import { until, useGateway } from './harness.ts'

// A spool of one byte: while one segment waits for ClickHouse, the next spans are dropped.
const env = useGateway((mock) => ({ providers: { openai: { base_url: `${mock.url}/v1` } }, spool: { max_bytes: 1 } }))

const send = async () => {
  const res = await env.post('/v1/chat/completions', {
    model: 'gpt-4o',
    messages: [{ role: 'user', content: 'ready?' }],
  })
  expect(res.status).toBe(200)
  await res.json()
}
const db = () => env.gw.store.database

describe('GET /readyz', () => {
  it('is 200 ready with no reasons when storage answers and nothing is wrong', async () => {
    await send()
    await until('spans written', () => env.gw.pendingSpans() === 0, 20_000)
    const { code, body } = await env.readyz()
    expect(code).toBe(200)
    expect(body.status).toBe('ready')
    expect(body.reasons).toEqual([])
    expect(body.storage).toMatchObject({ reachable: true, spans_table: true })
  })

  it('is 503 not_ready naming the spans table while it is missing, and naming the drop while spans are dropped', async () => {
    await env.gw.store.client.command({ query: `DETACH TABLE ${db()}.spans` })
    try {
      await send() // its spans fill the one-byte spool
      await until('an insert failed', () => env.gw.writer.stats.failedInserts > 0, 20_000)
      await send() // its spans find the spool full, once their rows are built (within a few ms)
      await until('spans dropped', () => env.gw.writer.stats.dropped === 2, 5_000)
      const { code, body } = await env.readyz()
      expect(code).toBe(503)
      expect(body.status).toBe('not_ready')
      expect(body.reasons.map((r) => r.code)).toEqual(['spans_table_missing', 'spans_dropping'])
      expect(body.reasons[0]!.message).toBe(`the spans table ${db()}.spans does not exist: spans wait in the spool`)
      expect(body.storage).toMatchObject({ reachable: true, spans_table: false })
      expect(body.spans).toMatchObject({ pending: 2, dropped: 2 })
    } finally {
      await env.gw.store.client.command({ query: `ATTACH TABLE ${db()}.spans` })
    }
    await until('spans written', () => env.gw.pendingSpans() === 0, 20_000)
    // The table is back, but spans were dropped a moment ago: still not ready, for that reason only.
    const after = await env.readyz()
    expect(after.code).toBe(503)
    expect(after.body.reasons.map((r) => r.code)).toEqual(['spans_dropping'])
    expect(after.body.spans).toMatchObject({ pending: 0, dropped: 2 })
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMockUpstream, type MockUpstream } from './mock-upstream.ts'
import { startTestGateway, type TestGateway } from './helpers.ts'

let mock: MockUpstream
let gw: TestGateway

// A spool of one byte: while one segment waits for ClickHouse, the next spans are dropped.
beforeAll(async () => {
  mock = await startMockUpstream()
  gw = await startTestGateway({ providers: { openai: { base_url: `${mock.url}/v1` } }, spool: { max_bytes: 1 } })
})
afterAll(async () => {
  await gw?.stop()
  await mock?.close()
})

interface Ready {
  status: string
  reasons: Array<{ code: string; message: string }>
  storage: { reachable: boolean; spans_table: boolean | null }
  spans: { pending: number; dropped: number }
}

const readyz = async () => {
  const res = await fetch(`${gw.url}/readyz`)
  return { code: res.status, body: (await res.json()) as Ready }
}
const send = async () => {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'ready?' }] }),
  })
  expect(res.status).toBe(200)
  await res.json()
}
const until = async (check: () => boolean | Promise<boolean>) => {
  const end = Date.now() + 20_000
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in 20 s')
    await new Promise((r) => setTimeout(r, 50))
  }
}
const db = () => gw.store.database

describe('GET /readyz', () => {
  it('is 200 ready with no reasons when storage answers and nothing is wrong', async () => {
    await send()
    await until(() => gw.writer.stats.pending === 0)
    const { code, body } = await readyz()
    expect(code).toBe(200)
    expect(body.status).toBe('ready')
    expect(body.reasons).toEqual([])
    expect(body.storage).toMatchObject({ reachable: true, spans_table: true })
  })

  it('is 503 not_ready naming the spans table while it is missing, and naming the drop while spans are dropped', async () => {
    await gw.store.client.command({ query: `DETACH TABLE ${db()}.spans` })
    try {
      await send() // its spans fill the one-byte spool
      await until(() => gw.writer.stats.failedInserts > 0)
      await send() // its spans find the spool full
      const { code, body } = await readyz()
      expect(code).toBe(503)
      expect(body.status).toBe('not_ready')
      expect(body.reasons.map((r) => r.code)).toEqual(['spans_table_missing', 'spans_dropping'])
      expect(body.reasons[0]!.message).toBe(`the spans table ${db()}.spans does not exist: spans wait in the spool`)
      expect(body.storage).toMatchObject({ reachable: true, spans_table: false })
      expect(body.spans).toMatchObject({ pending: 2, dropped: 2 })
    } finally {
      await gw.store.client.command({ query: `ATTACH TABLE ${db()}.spans` })
    }
    await until(() => gw.writer.stats.pending === 0)
    // The table is back, but spans were dropped a moment ago: still not ready, for that reason only.
    const after = await readyz()
    expect(after.code).toBe(503)
    expect(after.body.reasons.map((r) => r.code)).toEqual(['spans_dropping'])
    expect(after.body.spans).toMatchObject({ pending: 0, dropped: 2 })
  })
})

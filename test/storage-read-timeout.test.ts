import { beforeAll, describe, expect, it } from 'vitest'
import { errorOf, useGateway } from './harness.ts'

/**
 * Explorer reads carry storage.query_timeout_ms as ClickHouse's max_execution_time. Here it is
 * 1 ms over a few hundred thousand request spans: a raw-span slice or a text search cannot
 * finish in it, so ClickHouse stops them and the API answers 504.
 */
const env = useGateway({ storage: { query_timeout_ms: 1 } })
const SEEDED = 300_000

beforeAll(async () => {
  // Seeded straight into the table (the writer path is not under test); within the last hour.
  await env.gw.store.client.command({
    query: `INSERT INTO ${env.gw.store.database}.spans (Timestamp, TraceId, SpanId, SpanKind, StatusCode, User, Duration, StatusMessage)
      SELECT now64(9) - toIntervalMillisecond(number * 10), lower(hex(sipHash128(number))), lower(hex(sipHash64(number))),
        'Server', 'Ok', toString(number % 5000), number * 1000, concat('upstream said ', toString(number))
      FROM numbers(${SEEDED})`,
  })
}, 120_000)

describe('explorer reads with a bounded execution time', () => {
  it('a slice over raw spans that cannot finish in storage.query_timeout_ms is a 504 storage_timeout', async () => {
    const now = Date.now()
    const res = await env.post('/api/query', {
      from: new Date(now - 3_600_000).toISOString(),
      to: new Date(now + 60_000).toISOString(),
      group_by: ['user'],
      metrics: ['requests', 'p50_latency_ms', 'p95_latency_ms', 'p99_latency_ms'],
    })
    expect(res.status).toBe(504)
    const error = await errorOf(res)
    expect(error.code).toBe('storage_timeout')
    expect(error.type).toBe('server_error')
    expect(error.message).toContain('query_timeout_ms')
  })

  it('so is a trace search that scans every span', async () => {
    const res = await fetch(`${env.url}/api/traces?q=${encodeURIComponent('no such text anywhere')}`)
    expect(res.status).toBe(504)
    expect((await errorOf(res)).code).toBe('storage_timeout')
  })

  it('the limit is per query: it does not stay on the engine for reads that carry none', async () => {
    const rs = await env.gw.store.client.query({
      query: `SELECT uniqExact(User) AS users, count() AS spans FROM ${env.gw.store.database}.spans`,
      format: 'JSONEachRow',
    })
    expect(await rs.json()).toEqual([{ users: 5000, spans: SEEDED }])
  })
})

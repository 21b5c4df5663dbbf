import { beforeAll, describe, expect, it } from 'vitest'
import { QUERY_DIMENSIONS, type CostReport, type QueryResponse, type TraceListResponse } from '@tracegate/schemas'
import { errorOf, serverSpan, useGateway } from './harness.ts'

/**
 * What the explorer's API adds for its pages: unpriced requests counted apart in cost reports, the
 * cost source and the attribution columns in the trace list, and the trace list's numeric filters.
 */
const env = useGateway((mock) => ({ providers: { openai: { base_url: `${mock.url}/v1` } } }))
const cost: Record<string, number> = {}

beforeAll(async () => {
  const client = env.openai('sk-explorer-api')
  // gpt-4o-mini has a price; mystery-model (forwarded to openai as is) has none.
  const traffic: Array<[string, string, number]> = [
    ['growth', 'gpt-4o-mini', 2],
    ['growth', 'mystery-model', 3],
    ['search', 'gpt-4o-mini', 1],
  ]
  for (const [team, model, n] of traffic)
    for (let i = 0; i < n; i++) {
      const { response } = await client.chat.completions
        .create(
          { model, messages: [{ role: 'user', content: `${team} ${model} ${i}` }] },
          { headers: { 'x-tracegate-team': team, 'x-tracegate-user': `u-${i}` } },
        )
        .withResponse()
      cost[team] = (cost[team] ?? 0) + (serverSpan(await env.trace(response)).cost_usd ?? 0)
    }
  await env.gw.flushSpans()
})

const range = () => ({
  from: new Date(Date.now() - 3_600_000).toISOString(),
  to: new Date(Date.now() + 60_000).toISOString(),
})
const report = async (format: 'json' | 'csv') => {
  const { from, to } = range()
  return fetch(`${env.url}/api/reports/cost?${new URLSearchParams({ from, to, group_by: 'team', format })}`)
}
const list = async (params: Record<string, string>) =>
  (await (
    await fetch(`${env.url}/api/traces?${new URLSearchParams({ ...range(), ...params })}`)
  ).json()) as TraceListResponse

describe('unpriced requests are counted, never summed as $0', () => {
  it('the JSON report gives priced and unpriced requests per team and in the totals', async () => {
    const r = (await (await report('json')).json()) as CostReport
    const growth = r.rows.find((x) => x.group === 'growth')!
    expect([growth.requests, growth.priced_requests, growth.unpriced_requests]).toEqual([5, 2, 3])
    expect(growth.cost_usd).toBeCloseTo(cost.growth!, 12)
    const search = r.rows.find((x) => x.group === 'search')!
    expect([search.priced_requests, search.unpriced_requests]).toEqual([1, 0])
    expect([r.totals.priced_requests, r.totals.unpriced_requests]).toEqual([3, 3])
  })

  it('the CSV carries the same two columns right after cost_usd', async () => {
    const lines = (await (await report('csv')).text())
      .trim()
      .split('\n')
      .map((l) => l.split(','))
    const header = lines[0]!
    expect(header.slice(7, 10)).toEqual(['cost_usd', 'priced_requests', 'unpriced_requests'])
    const growth = lines.find((l) => l[0] === 'group' && l[1] === 'growth')!
    expect(growth.slice(8, 10)).toEqual(['2', '3'])
    expect(lines.at(-1)!.slice(8, 10)).toEqual(['3', '3'])
  })

  it('the trace list flags an unpriced request with its cost source and no cost', async () => {
    const { traces } = await list({ model: 'mystery-model' })
    expect(traces).toHaveLength(3)
    expect(traces.map((t) => [t.cost_source, t.cost_usd])).toEqual(Array(3).fill(['unpriced', null]))
    const priced = await list({ model: 'gpt-4o-mini', team: 'search' })
    expect(priced.traces[0]!.cost_source).toBe('genai-prices')
    expect(priced.traces[0]!.user).toBe('u-0')
  })
})

describe('trace list filters', () => {
  it('min_cost_usd keeps requests that cost at least that much; unpriced ones never match', async () => {
    const all = await list({ min_cost_usd: '0' })
    expect(all.traces).toHaveLength(3)
    expect(all.traces.every((t) => t.cost_source === 'genai-prices')).toBe(true)
    expect((await list({ min_cost_usd: '1000' })).traces).toHaveLength(0)
  })

  it('min_duration_ms keeps requests at least that long', async () => {
    const { traces } = await list({})
    expect(traces).toHaveLength(6)
    const slowest = Math.max(...traces.map((t) => t.duration_ms))
    const kept = await list({ min_duration_ms: String(slowest) })
    expect(kept.traces.map((t) => t.duration_ms)).toEqual(
      traces.filter((t) => t.duration_ms >= slowest).map((t) => t.duration_ms),
    )
    expect((await list({ min_duration_ms: '3600000' })).traces).toHaveLength(0)
  })

  it('a negative or non-numeric minimum is a 400 naming the parameter', async () => {
    for (const [param, value] of [
      ['min_cost_usd', '-1'],
      ['min_duration_ms', 'slow'],
    ]) {
      const res = await fetch(`${env.url}/api/traces?${param}=${value}`)
      expect(res.status, param).toBe(400)
      expect((await errorOf(res)).param).toBe(param)
    }
  })
})

describe('slices keep the top groups and fold the rest into "other"', () => {
  const slice = async (body: object) => {
    const res = await env.post('/api/query', { ...range(), ...body })
    expect(res.status).toBe(200)
    return (await res.json()) as QueryResponse
  }

  it('from the rollup: the busiest team, then one other row with the rest', async () => {
    const r = await slice({ group_by: ['team'], metrics: ['requests', 'cost_usd'], top: 1 })
    expect(r.source).toBe('rollup')
    expect(r.columns).toEqual(['other', 'team', 'requests', 'cost_usd'])
    expect(r.rows.map((x) => [x.other, x.team, x.requests])).toEqual([
      [0, 'growth', 5],
      [1, '', 1],
    ])
    expect(r.rows[1]!.cost_usd as number).toBeCloseTo(cost.search!, 12)
  })

  it('from raw spans, over time and with a percentile: the other row sums every user outside the top', async () => {
    const r = await slice({ group_by: ['user'], metrics: ['requests', 'p95_latency_ms'], top: 1, interval: '1h' })
    expect(r.source).toBe('spans')
    const total = (other: number) => r.rows.filter((x) => x.other === other).reduce((s, x) => s + Number(x.requests), 0)
    expect([total(0), total(1)]).toEqual([3, 3])
    expect(new Set(r.rows.filter((x) => x.other === 0).map((x) => x.user))).toEqual(new Set(['u-0']))
    expect(r.rows.every((x) => Number(x.p95_latency_ms) > 0)).toBe(true)
  })

  it('every dimension (tags and metadata included) runs with top on ClickHouse', async () => {
    for (const d of [...QUERY_DIMENSIONS, 'meta:ticket']) {
      const r = await slice({ group_by: [d, 'team'], metrics: ['requests'], top: 2 })
      expect(r.rows.filter((x) => x.other === 0).length, d).toBeLessThanOrEqual(2)
      if (d !== 'tag')
        expect(
          r.rows.reduce((s, x) => s + Number(x.requests), 0),
          d,
        ).toBe(6)
    }
  })

  it('unpriced_requests counts requests without a price per group', async () => {
    const r = await slice({ group_by: ['team'], metrics: ['requests', 'unpriced_requests'] })
    expect(Object.fromEntries(r.rows.map((x) => [x.team, x.unpriced_requests]))).toEqual({ growth: 3, search: 0 })
  })

  it('top without a group-by, or above 100, is a 400 naming top', async () => {
    for (const body of [
      { metrics: ['requests'], top: 5 },
      { group_by: ['team'], metrics: ['requests'], top: 101 },
    ]) {
      const res = await env.post('/api/query', { ...range(), ...body })
      expect(res.status).toBe(400)
      expect((await errorOf(res)).param).toBe('top')
    }
  })
})

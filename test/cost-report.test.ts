import { beforeAll, describe, expect, it } from 'vitest'
import { QUERY_DIMENSIONS, QUERY_METRICS, type CostReport, type QueryResponse } from '@tracegate/schemas'
import { errorOf, tracegate, useGateway, serverSpan } from './harness.ts'

const env = useGateway((mock) => ({ providers: { openai: { base_url: `${mock.url}/v1` } } }))
const costs: Record<string, number> = {}
const counts: Record<string, number> = {}

beforeAll(async () => {
  const client = env.openai('sk-report')
  const traffic: Array<[string, string, number]> = [
    ['growth', 'gpt-4o', 3],
    ['search', 'gpt-4o-mini', 2],
    ['growth', 'gpt-4o-mini', 1],
  ]
  for (const [team, model, n] of traffic) {
    for (let i = 0; i < n; i++) {
      const { response } = await client.chat.completions
        .create(
          { model, messages: [{ role: 'user', content: `${team} ${i} ${'x'.repeat(i * 40)}` }] },
          { headers: { 'x-tracegate-team': team } },
        )
        .withResponse()
      const span = serverSpan(await env.trace(response))
      costs[team] = (costs[team] ?? 0) + span.cost_usd!
      counts[team] = (counts[team] ?? 0) + 1
    }
  }
  await env.gw.flushSpans()
})

const range = () => ({
  from: new Date(Date.now() - 3_600_000).toISOString(),
  to: new Date(Date.now() + 60_000).toISOString(),
})

describe('cost reports', () => {
  it('JSON by team: each team its exact request count and cost, and the totals', async () => {
    const { from, to } = range()
    const report = (await (
      await fetch(`${env.url}/api/reports/cost?from=${from}&to=${to}&group_by=team`)
    ).json()) as CostReport
    const byTeam = Object.fromEntries(report.rows.map((r) => [r.group, r]))
    expect(Object.keys(byTeam).sort()).toEqual(['growth', 'search'])
    expect(byTeam.growth!.requests).toBe(4)
    expect(byTeam.search!.requests).toBe(2)
    expect(byTeam.growth!.cost_usd).toBeCloseTo(costs.growth!, 9)
    expect(byTeam.search!.cost_usd).toBeCloseTo(costs.search!, 9)
    expect(report.totals.requests).toBe(6)
    expect(report.totals.cost_usd).toBeCloseTo(costs.growth! + costs.search!, 9)
  })

  it('CSV from the CLI (npx tracegate report) has a group row per model and a total row that adds up', async () => {
    const { from, to } = range()
    const { stdout } = await tracegate([
      'report',
      '--group-by',
      'model',
      '--from',
      from,
      '--to',
      to,
      '--format',
      'csv',
      '--url',
      env.url,
    ])
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => l.split(','))
    expect(lines[0]).toEqual([
      'row',
      'model',
      'requests',
      'errors',
      'input_tokens',
      'output_tokens',
      'cache_read_tokens',
      'cost_usd',
      'priced_requests',
      'unpriced_requests',
      'provider_reported_requests',
      'provider_cost_usd',
      'cost_gap_usd',
    ])
    expect(lines.slice(1, -1).every((l) => l[0] === 'group')).toBe(true)
    const rows = Object.fromEntries(lines.slice(1, -1).map((l) => [l[1], l]))
    expect(Object.keys(rows).sort()).toEqual(['gpt-4o-2024-08-06', 'gpt-4o-mini-2024-07-18'])
    expect(rows['gpt-4o-2024-08-06']![2]).toBe('3')
    expect(rows['gpt-4o-mini-2024-07-18']![2]).toBe('3')
    const total = lines.at(-1)!
    expect(total.slice(0, 2)).toEqual(['total', ''])
    expect(total[2]).toBe('6')
    expect(Number(total[7])).toBeCloseTo(costs.growth! + costs.search!, 6)
  })

  it('a bad group-by is a 400 naming the parameter', async () => {
    const { from, to } = range()
    const res = await fetch(`${env.url}/api/reports/cost?from=${from}&to=${to}&group_by=DROP TABLE`)
    expect(res.status).toBe(400)
    expect((await errorOf(res)).param).toBe('group_by')
  })
})

describe('POST /api/query', () => {
  const query = (body: object) => env.post('/api/query', { ...range(), ...body })

  it('requests and cost by team, from the rollup, match the traffic', async () => {
    const res = (await (
      await query({ group_by: ['team'], metrics: ['requests', 'cost_usd', 'error_rate'] })
    ).json()) as QueryResponse
    expect(res.source).toBe('rollup')
    const byTeam = Object.fromEntries(res.rows.map((r) => [r.team, r]))
    expect(byTeam.growth!.requests).toBe(counts.growth)
    expect(byTeam.search!.requests).toBe(counts.search)
    expect(byTeam.growth!.cost_usd as number).toBeCloseTo(costs.growth!, 9)
    expect(byTeam.search!.error_rate).toBe(0)
  })

  it('every dimension with every metric runs on ClickHouse, bucketed by time, on both sources', async () => {
    for (const d of [...QUERY_DIMENSIONS, 'meta:ticket']) {
      const res = await query({ group_by: [d], metrics: [...QUERY_METRICS], interval: '1m' })
      expect(res.status, d).toBe(200)
      const body = (await res.json()) as QueryResponse
      expect(body.columns).toEqual(['time', d, ...QUERY_METRICS])
      if (d !== 'tag')
        expect(
          body.rows.reduce((s, r) => s + (r.requests as number), 0),
          d,
        ).toBe(6)
    }
    const raw = (await (
      await query({
        group_by: ['user'],
        metrics: ['requests'],
        filters: [{ dimension: 'team', op: 'eq', value: 'search' }],
      })
    ).json()) as QueryResponse
    expect(raw.source).toBe('spans')
    expect(raw.rows).toEqual([{ user: '', requests: 2 }])
  })

  it('percentiles of nothing are null, not 0 ms: a range with no requests, and TTFT with no streams', async () => {
    const empty = (await (
      await query({
        from: '2020-01-01T00:00:00Z',
        to: '2020-01-02T00:00:00Z',
        metrics: ['requests', 'p50_latency_ms', 'ttft_p50_ms'],
      })
    ).json()) as QueryResponse
    expect(empty.source).toBe('rollup')
    expect(empty.rows).toEqual([{ requests: 0, p50_latency_ms: null, ttft_p50_ms: null }])
    const now = (await (
      await query({ metrics: ['requests', 'p50_latency_ms', 'ttft_p50_ms'] })
    ).json()) as QueryResponse
    expect(now.rows[0]!.requests).toBe(6)
    expect(now.rows[0]!.p50_latency_ms as number).toBeGreaterThan(0)
    expect(now.rows[0]!.ttft_p50_ms).toBeNull()
  })

  it('SQL in a filter value is just a value', async () => {
    const res = (await (
      await query({ metrics: ['requests'], filters: [{ dimension: 'team', op: 'eq', value: "growth' OR '1'='1" }] })
    ).json()) as QueryResponse
    expect(res.rows).toEqual([{ requests: 0 }])
    const bad = await query({ group_by: ['Team; DROP TABLE x'], metrics: ['requests'] })
    expect(bad.status).toBe(400)
  })
})

describe('trace search', () => {
  const list = async (params: string) => {
    const { from, to } = range()
    const res = await fetch(`${env.url}/api/traces?from=${from}&to=${to}&${params}`)
    return {
      status: res.status,
      body: (await res.json()) as {
        traces: Array<{ trace_id: string; request_model: string }>
        error?: { param: string }
      },
    }
  }

  it('q finds a trace by id, or by a piece of the model name', async () => {
    const mini = await list('q=4O-MINI')
    expect(mini.body.traces).toHaveLength(3)
    expect(new Set(mini.body.traces.map((t) => t.request_model))).toEqual(new Set(['gpt-4o-mini']))
    const id = mini.body.traces[0]!.trace_id
    expect((await list(`q=${id}`)).body.traces.map((t) => t.trace_id)).toEqual([id])
  })

  it('model matches the answering (dated) model too; outcome and meta filter', async () => {
    expect((await list('model=gpt-4o-2024-08-06')).body.traces).toHaveLength(3)
    expect((await list('outcome=ok')).body.traces).toHaveLength(6)
    expect((await list('outcome=5xx')).body.traces).toHaveLength(0)
    expect((await list('meta=ticket%3DT-1')).body.traces).toHaveLength(0)
    const bad = await list('meta=no-equals-sign')
    expect(bad.status).toBe(400)
    expect(bad.body.error!.param).toBe('meta')
  })

  it('outcome from the rollup agrees with outcome from raw spans', async () => {
    const q = async (extra: object) =>
      (await (
        await env.post('/api/query', { ...range(), group_by: ['outcome'], metrics: ['requests'], ...extra })
      ).json()) as QueryResponse
    const rollup = await q({})
    const raw = await q({ filters: [{ dimension: 'user', op: 'neq', value: 'nobody' }] })
    expect(rollup.source).toBe('rollup')
    expect(raw.source).toBe('spans')
    expect(rollup.rows).toEqual([{ outcome: 'ok', requests: 6 }])
    expect(raw.rows).toEqual(rollup.rows)
  })
})

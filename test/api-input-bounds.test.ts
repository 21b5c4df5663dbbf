import { describe, expect, it } from 'vitest'
import { useGateway } from './harness.ts'

const env = useGateway({})

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const RANGE = 'from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z'
const body = (extra: object) => ({
  from: '2026-01-01T00:00:00Z',
  to: '2026-01-02T00:00:00Z',
  metrics: ['requests'],
  ...extra,
})

async function expect400(res: Response, param: string): Promise<void> {
  const text = await res.text()
  expect(res.status, text).toBe(400)
  const { error } = JSON.parse(text) as { error: { code: string; type: string; param: string; message: string } }
  expect(error.code).toBe('invalid_request')
  expect(error.type).toBe('invalid_request_error')
  expect(error.param).toBe(param)
  expect(error.message).toContain(param)
}
const get = (path: string) => fetch(`${env.url}${path}`)

describe('explorer API input bounds', () => {
  it('GET /api/traces: dates ClickHouse DateTime64(9) cannot hold, loose dates and unknown fields are 400s naming the field', async () => {
    await expect400(await get('/api/traces?from=99999999999999'), 'from')
    await expect400(await get('/api/traces?from=99999999999999999999'), 'from')
    await expect400(await get('/api/traces?from=1000-01-01T00:00:00Z'), 'from')
    await expect400(await get('/api/traces?to=9999-01-01T00:00:00Z'), 'to')
    await expect400(await get('/api/traces?from=garbage%201'), 'from')
    await expect400(await get('/api/traces?from=2026-02-30T00:00:00Z'), 'from')
    await expect400(await get('/api/traces?form=2026-01-01T00:00:00Z'), 'form')
    await expect400(await get('/api/traces?limit=100000'), 'limit')
    await expect400(await get('/api/traces?team=a&team=b'), 'team')
  })

  it('GET /api/traces/:id: a bad id or an unknown field is a 400 naming it', async () => {
    await expect400(await get('/api/traces/not-a-trace-id'), 'traceId')
    await expect400(await get(`/api/traces/${TRACE_ID}?spans=all`), 'spans')
    expect((await get(`/api/traces/${TRACE_ID}`)).status).toBe(404)
  })

  it('POST /api/query: out-of-range dates and unknown fields, top level or nested, are 400s naming the field', async () => {
    await expect400(await env.post('/api/query', body({ from: '1000-01-01T00:00:00Z' })), 'from')
    await expect400(
      await env.post('/api/query', body({ from: '2262-05-01T00:00:00Z', to: '2262-05-02T00:00:00Z' })),
      'from',
    )
    await expect400(await env.post('/api/query', body({ to: 99999999999999 })), 'to')
    await expect400(await env.post('/api/query', body({ metric: ['requests'] })), 'metric')
    await expect400(
      await env.post('/api/query', body({ filters: [{ dimension: 'team', op: 'eq', value: 'a', values: ['b'] }] })),
      'filters.0.values',
    )
    await expect400(await env.post('/api/query', body({ limit: 10_001 })), 'limit')
  })

  it('GET /api/meta-keys: out-of-range dates and unknown fields are 400s naming the field', async () => {
    await expect400(await get('/api/meta-keys?from=1000-01-01T00:00:00Z&to=1000-01-02T00:00:00Z'), 'from')
    await expect400(await get('/api/meta-keys?from=2026-01-01T00:00:00Z&to=9000-01-02T00:00:00Z'), 'to')
    await expect400(await get(`/api/meta-keys?${RANGE}&prefix=a`), 'prefix')
  })

  it('GET /api/reports/cost: out-of-range and impossible dates and unknown fields are 400s naming the field', async () => {
    await expect400(await get('/api/reports/cost?from=1000-01-01&to=2026-01-01'), 'from')
    await expect400(await get('/api/reports/cost?from=0&to=99999999999999'), 'to')
    await expect400(await get('/api/reports/cost?from=2026-02-30&to=2026-03-02'), 'from')
    await expect400(await get(`/api/reports/cost?${RANGE}&group=team`), 'group')
  })

  it('the date forms the explorer and the CLI send are still accepted: ISO date-times with Z or an offset, days, epoch milliseconds', async () => {
    expect((await get('/api/traces?from=2026-01-01T00:00:00%2B02:00&to=2026-01-02T00:00:00.123Z')).status).toBe(200)
    expect((await get(`/api/reports/cost?from=2026-01-01&to=${Date.UTC(2026, 1, 1)}`)).status).toBe(200)
    expect(
      (await env.post('/api/query', body({ from: '1970-01-01T00:00:00Z', to: '1970-01-02T00:00:00Z' }))).status,
    ).toBe(200)
    expect((await get('/api/meta-keys?from=2262-04-01T00:00:00Z&to=2262-04-10T00:00:00Z')).status).toBe(200)
  })
})

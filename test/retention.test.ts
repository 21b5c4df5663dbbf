import { describe, expect, it } from 'vitest'
import { useGateway, type TestGateway } from './harness.ts'

const retention = (days: number) => ({ storage: { retention_days: days } })
const env = useGateway(retention(30))

async function ttls(g: TestGateway): Promise<Record<string, string>> {
  const rs = await g.store.client.query({
    query:
      "SELECT name, engine_full FROM system.tables WHERE database = {db:String} AND name IN ('spans', 'spans_trace_id_ts', 'spans_1m', 'attempts_1m', 'targets_1m')",
    query_params: { db: g.store.database },
    format: 'JSONEachRow',
  })
  const rows = await rs.json<{ name: string; engine_full: string }>()
  return Object.fromEntries(rows.map((r) => [r.name, /\bTTL (.+?) SETTINGS /.exec(r.engine_full)?.[1] ?? '']))
}
const changes = (g: TestGateway) =>
  g.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'retention changed: table TTL updated')

describe('storage.retention_days', () => {
  it('a changed value is applied at the next start, to the spans, trace lookup and both rollup tables', async () => {
    expect(await ttls(env.gw)).toEqual({
      spans: 'toDateTime(Timestamp) + toIntervalDay(30)',
      spans_trace_id_ts: 'toDateTime(Start) + toIntervalDay(30)',
      spans_1m: 'Minute + toIntervalDay(120)',
      attempts_1m: 'Minute + toIntervalDay(120)',
      targets_1m: 'Minute + toIntervalDay(120)',
    })
    const second = await env.restart(retention(7))
    expect(await ttls(second)).toEqual({
      spans: 'toDateTime(Timestamp) + toIntervalDay(7)',
      spans_trace_id_ts: 'toDateTime(Start) + toIntervalDay(7)',
      spans_1m: 'Minute + toIntervalDay(28)',
      attempts_1m: 'Minute + toIntervalDay(28)',
      targets_1m: 'Minute + toIntervalDay(28)',
    })
    expect(changes(second).map((l) => [l.table, l.ttl])).toEqual([
      ['spans', 'toDateTime(Timestamp) + toIntervalDay(7)'],
      ['spans_trace_id_ts', 'toDateTime(Start) + toIntervalDay(7)'],
      ['spans_1m', 'Minute + toIntervalDay(28)'],
      ['attempts_1m', 'Minute + toIntervalDay(28)'],
      ['targets_1m', 'Minute + toIntervalDay(28)'],
    ])
  })

  it('an unchanged value alters nothing', async () => {
    const third = await env.restart(retention(7))
    expect(changes(third)).toEqual([])
    expect((await ttls(third)).spans).toBe('toDateTime(Timestamp) + toIntervalDay(7)')
  })
})

import { describe, expect, it } from 'vitest'
import { resultBucketSeconds } from '@tracegate/schemas'
import { errorTypesText, incidentRange } from './incident.ts'
import { filterParam, parseFilter, readSlice } from './slice-url.ts'
import { buckets, intervalFor, previous, rangeFromQuery } from './time.ts'
import { usd, pct } from './format.ts'
import { storageWarning } from './health.ts'

describe('incidents page', () => {
  it('asks for at most the last 7 days and buckets results as the API does', () => {
    const to = new Date('2026-11-30T00:00:00Z')
    const r = incidentRange(new Date('2026-11-01T00:00:00Z'), to)
    expect([r.from.toISOString(), r.clamped]).toEqual(['2026-11-23T00:00:00.000Z', true])
    expect(incidentRange(new Date('2026-11-29T00:00:00Z'), to).clamped).toBe(false)
    expect([
      resultBucketSeconds(3_600_000),
      resultBucketSeconds(86_400_000),
      resultBucketSeconds(7 * 86_400_000),
    ]).toEqual([60, 900, 3600])
  })

  it('says error classes as a reader would, most first', () => {
    expect(errorTypesText({ timeout: 2, '5xx': 40 })).toBe('5xx server errors 40 · timeouts 2')
    expect(errorTypesText({})).toBe('–')
  })
})

describe('explore state in the URL', () => {
  it('round-trips filters, meta dimensions included, and drops what is not valid', () => {
    const q = new URLSearchParams(
      'group=team,meta:tenant,bogus&m=cost_usd,nope&f=team:eq:growth&f=meta:tenant:neq:a:b&f=x:eq:1&f=team:like:y&chart=cost_usd',
    )
    const s = readSlice(q)
    expect(s.group).toEqual(['team', 'meta:tenant'])
    expect(s.metrics).toEqual(['cost_usd'])
    expect(s.filters).toEqual([
      { dimension: 'team', op: 'eq', value: 'growth' },
      { dimension: 'meta:tenant', op: 'neq', value: 'a:b' },
    ])
    expect(s.filters.map(filterParam)).toEqual(['team:eq:growth', 'meta:tenant:neq:a:b'])
    expect(parseFilter("team:eq:x' OR 1=1")).toEqual({ dimension: 'team', op: 'eq', value: "x' OR 1=1" })
  })

  it('a hand-edited link with repeats shows each dimension and metric once', () => {
    const s = readSlice(new URLSearchParams('group=team,team,model&m=cost_usd,cost_usd'))
    expect(s.group).toEqual(['team', 'model'])
    expect(s.metrics).toEqual(['cost_usd'])
  })

  it('defaults to four metrics, charting the first', () => {
    const s = readSlice(new URLSearchParams(''))
    expect(s.metrics).toEqual(['requests', 'error_rate', 'p95_latency_ms', 'cost_usd'])
    expect(s.chart).toBe('requests')
  })
})

describe('time ranges', () => {
  it('presets end at the next minute; custom ranges are taken as given; nonsense falls back', () => {
    const r = rangeFromQuery(new URLSearchParams('range=1h'))
    expect(r.to.getTime() - r.from.getTime()).toBe(3_600_000)
    expect(r.to.getTime() % 60_000).toBe(0)
    expect(r.interval).toBe('1m')
    const c = rangeFromQuery(new URLSearchParams('from=2026-11-01T00:00:00Z&to=2026-11-08T00:00:00Z'))
    expect(c.label).toBe('custom')
    expect(c.interval).toBe('1h')
    expect(rangeFromQuery(new URLSearchParams('range=DROP')).label).toBe('24h')
    expect(previous(c).to).toEqual(c.from)
  })

  it('buckets cover the range at its interval', () => {
    const c = rangeFromQuery(new URLSearchParams('from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z'))
    expect(c.interval).toBe('15m')
    const b = buckets(c)
    expect(b).toHaveLength(96)
    expect(b[1]! - b[0]!).toBe(900)
    expect(intervalFor(30 * 86_400_000)).toBe('1d')
  })

  it('small costs keep their digits', () => {
    expect(usd(0.0000123)).toBe('$0.000012')
    expect(usd(12.5)).toBe('$12.5000')
    expect(pct(0.25)).toBe('25.0%')
  })
})

describe('storage warning', () => {
  const ready = (spans: Partial<{ pending: number; dropped: number; spool_segments: number }>, reachable = true) => ({
    status: 'ready',
    storage: { reachable },
    spans: { pending: 0, dropped: 0, spool_segments: 0, failed_inserts: 0, ...spans },
  })

  it('says nothing for normal batching, warns on a backlog or an outage, errs on drops', () => {
    expect(storageWarning(ready({ pending: 40, spool_segments: 1 }))).toBeNull()
    expect(storageWarning(ready({ pending: 1200, spool_segments: 3 }))!.text).toMatch(/^1,200 spans are waiting/)
    expect(storageWarning(ready({ pending: 7 }, false))).toEqual({
      level: 'warn',
      text: 'Storage is unreachable: 7 spans wait in the spool and appear here when it is back.',
    })
    expect(storageWarning(ready({ dropped: 3, pending: 7 }, false))!.level).toBe('error')
  })
})

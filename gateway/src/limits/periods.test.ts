import { describe, expect, it } from 'vitest'
import { periodOf, Periods } from './periods.ts'

const at = (iso: string) => Date.parse(iso)
const iso = (r: { start: number; end: number }) => [new Date(r.start).toISOString(), new Date(r.end).toISOString()]

describe('budget periods', () => {
  it('days, weeks (from Monday) and months start at local midnight in the configured zone', () => {
    const t = at('2026-12-01T05:30:00Z') // a Tuesday; 06:30 in Paris, 00:30 in New York
    expect(iso(periodOf(t, 'day', 'UTC'))).toEqual(['2026-12-01T00:00:00.000Z', '2026-12-02T00:00:00.000Z'])
    expect(iso(periodOf(t, 'day', 'Europe/Paris'))).toEqual(['2026-11-30T23:00:00.000Z', '2026-12-01T23:00:00.000Z'])
    expect(iso(periodOf(t, 'day', 'America/New_York'))).toEqual([
      '2026-12-01T05:00:00.000Z',
      '2026-12-02T05:00:00.000Z',
    ])
    expect(iso(periodOf(t, 'week', 'UTC'))).toEqual(['2026-11-30T00:00:00.000Z', '2026-12-07T00:00:00.000Z'])
    expect(iso(periodOf(t, 'month', 'Europe/Paris'))).toEqual(['2026-11-30T23:00:00.000Z', '2026-12-31T23:00:00.000Z'])
  })

  it('a day that changes clocks is 23 or 25 hours long; no period is none', () => {
    const spring = periodOf(at('2026-03-29T12:00:00Z'), 'day', 'Europe/Paris')
    expect((spring.end - spring.start) / 3_600_000).toBe(23)
    const autumn = periodOf(at('2026-10-25T12:00:00Z'), 'day', 'Europe/Paris')
    expect((autumn.end - autumn.start) / 3_600_000).toBe(25)
    expect(periodOf(at('2026-12-01T00:00:00Z'), 'none', 'UTC')).toEqual({ start: 0, end: Number.POSITIVE_INFINITY })
  })

  it('Periods answers as periodOf does, into the next period once the clock reaches its end', () => {
    const periods = new Periods('Europe/Paris')
    const first = periods.of(at('2026-12-01T12:00:00Z'), 'day')
    expect(periods.of(at('2026-12-01T22:59:59.999Z'), 'day')).toBe(first)
    expect(periods.of(first.end, 'day')).toEqual(periodOf(first.end, 'day', 'Europe/Paris'))
    expect(periods.of(first.end, 'day').start).toBe(first.end)
    expect(periods.of(at('2026-12-01T12:00:00Z'), 'month')).toEqual(
      periodOf(at('2026-12-01T12:00:00Z'), 'month', 'Europe/Paris'),
    )
  })
})

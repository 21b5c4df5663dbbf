import type { QueryRequest } from '@tracegate/schemas'

export type Interval = NonNullable<QueryRequest['interval']>
export const PRESETS = ['15m', '1h', '24h', '7d', '30d'] as const
const MINUTE = 60_000
const PRESET_MS: Record<string, number> = {
  '15m': 15 * MINUTE,
  '1h': 60 * MINUTE,
  '24h': 1440 * MINUTE,
  '7d': 7 * 1440 * MINUTE,
  '30d': 30 * 1440 * MINUTE,
}
const INTERVAL_MS: Record<Interval, number> = {
  '1m': MINUTE,
  '5m': 5 * MINUTE,
  '15m': 15 * MINUTE,
  '1h': 60 * MINUTE,
  '1d': 1440 * MINUTE,
}

export interface TimeRange {
  from: Date
  to: Date
  label: string
  interval: Interval
}

/** Buckets that give a readable chart: about 15 to 200 points whatever the range. */
export function intervalFor(ms: number): Interval {
  if (ms <= 3 * 60 * MINUTE) return '1m'
  if (ms <= 12 * 60 * MINUTE) return '5m'
  if (ms <= 2 * 1440 * MINUTE) return '15m'
  if (ms <= 8 * 1440 * MINUTE) return '1h'
  return '1d'
}

/**
 * The range a page's URL names: `range=1h` (ending now) or `from`/`to` (custom, ISO).
 * The end is rounded up to the next minute so the current minute's requests are in.
 */
export function rangeFromQuery(q: URLSearchParams, fallback = '24h'): TimeRange {
  const from = q.get('from')
  const to = q.get('to')
  if (
    from &&
    to &&
    !Number.isNaN(Date.parse(from)) &&
    !Number.isNaN(Date.parse(to)) &&
    Date.parse(to) > Date.parse(from)
  ) {
    const f = new Date(from)
    const t = new Date(to)
    return { from: f, to: t, label: 'custom', interval: intervalFor(t.getTime() - f.getTime()) }
  }
  const preset = q.get('range') ?? fallback
  const ms = PRESET_MS[preset] ?? PRESET_MS[fallback]!
  const end = Math.ceil((Date.now() + 1) / MINUTE) * MINUTE
  return {
    from: new Date(end - ms),
    to: new Date(end),
    label: preset in PRESET_MS ? preset : fallback,
    interval: intervalFor(ms),
  }
}

/** The period just before, of the same length, for "change against the previous period". */
export const previous = (r: TimeRange): TimeRange => {
  const ms = r.to.getTime() - r.from.getTime()
  return { ...r, from: new Date(r.from.getTime() - ms), to: new Date(r.from.getTime()) }
}

export const shift = (r: TimeRange, ms: number): TimeRange => ({
  ...r,
  from: new Date(r.from.getTime() - ms),
  to: new Date(r.to.getTime() - ms),
})

/** Every bucket start of a range, in seconds (uPlot's x unit), so gaps show as zero, not as a line. */
export function buckets(r: TimeRange): number[] {
  const step = INTERVAL_MS[r.interval]
  const out: number[] = []
  for (let t = Math.floor(r.from.getTime() / step) * step; t < r.to.getTime(); t += step) out.push(t / 1000)
  return out
}

export const intervalMs = (i: Interval) => INTERVAL_MS[i]

import type { QueryResponse } from '@tracegate/schemas'
import { PALETTE } from './metrics.ts'
import type { Series } from './types.ts'

type Row = QueryResponse['rows'][number]
const seconds = (t: unknown) => Date.parse(String(t)) / 1000

/** One metric of time-bucketed rows, aligned to the chart's buckets (missing buckets are 0). */
export function align(rows: Row[], x: number[], metric: string, empty: number | null = 0): (number | null)[] {
  const at = new Map<number, number>()
  for (const r of rows) at.set(seconds(r.time), Number(r[metric] ?? 0))
  return x.map((t) => at.get(t) ?? empty)
}

/** One series per value of `dimension` (the `top` busiest first), for a time-bucketed grouped query. */
export function splitBy(
  rows: Row[],
  x: number[],
  dimension: string,
  metric: string,
  colors: Record<string, string> = {},
  top = 8,
): Series[] {
  const groups = new Map<string, Row[]>()
  const totals = new Map<string, number>()
  for (const r of rows) {
    const k = String(r[dimension] ?? '')
    groups.set(k, [...(groups.get(k) ?? []), r])
    totals.set(k, (totals.get(k) ?? 0) + Number(r[metric] ?? 0))
  }
  return [...groups.keys()]
    .sort((a, b) => totals.get(b)! - totals.get(a)!)
    .slice(0, top)
    .map((k, i) => ({
      label: k || '(none)',
      values: align(groups.get(k)!, x, metric),
      color: colors[k] ?? PALETTE[i % PALETTE.length]!,
    }))
}

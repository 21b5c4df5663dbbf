import {
  MAX_INCIDENT_RANGE_MS,
  REQUEST_RESULTS,
  resultBucketSeconds,
  type IncidentsResponse,
  type RequestResult,
} from '@tracegate/schemas'
import type { Series } from './types.ts'

/** What became of a request, as a reader says it. */
export const RESULT_LABELS: Record<RequestResult, string> = {
  first_try: 'ok on first try',
  saved_by_retry: 'saved by retry',
  saved_by_fallback: 'saved by fallback',
  lost: 'lost (error returned)',
  cancelled: 'cancelled by the caller',
}

export const RESULT_COLORS: Record<RequestResult, string> = {
  first_try: '#16a34a',
  saved_by_retry: '#0891b2',
  saved_by_fallback: '#7c3aed',
  lost: '#dc2626',
  cancelled: '#94a3b8',
}

/** Failed attempts by class, as a reader says them. */
export const ERROR_CLASS_LABELS: Record<string, string> = {
  '429': '429 rate limited',
  '5xx': '5xx server errors',
  '4xx': '4xx refused',
  timeout: 'timeouts',
  reset: 'connection resets',
  stream_interrupted: 'mid-stream failures',
  error: 'other errors',
}
export const errorClassLabel = (c: string) => ERROR_CLASS_LABELS[c] ?? c

/** "5xx server errors 40 · timeouts 2", most first. */
export function errorTypesText(types: Record<string, number>): string {
  const entries = Object.entries(types).sort((a, b) => b[1] - a[1])
  return entries.length
    ? entries.map(([c, n]) => `${errorClassLabel(c)} ${n.toLocaleString('en-US')}`).join(' · ')
    : '–'
}

/** The range the incidents API is asked for: at most its last 7 days. */
export function incidentRange(from: Date, to: Date): { from: Date; to: Date; clamped: boolean } {
  const earliest = to.getTime() - MAX_INCIDENT_RANGE_MS
  return from.getTime() < earliest ? { from: new Date(earliest), to, clamped: true } : { from, to, clamped: false }
}

/** Chart x (seconds) and one stacked series per result, zero where a bucket had no requests. */
export function resultChart(r: IncidentsResponse): { x: number[]; series: Series[] } {
  const from = Date.parse(r.from)
  const to = Date.parse(r.to)
  const step = resultBucketSeconds(to - from) * 1000
  const x: number[] = []
  for (let t = Math.floor(from / step) * step; t < to; t += step) x.push(t / 1000)
  const at = new Map(r.result_series.map((b) => [Date.parse(b.time) / 1000, b]))
  const series = REQUEST_RESULTS.filter((k) => k !== 'cancelled' || r.results.cancelled > 0).map((k) => ({
    label: RESULT_LABELS[k],
    color: RESULT_COLORS[k],
    values: x.map((t) => at.get(t)?.[k] ?? 0),
  }))
  return { x, series }
}

/** The trace list filtered to a target's failed requests in a window. */
export function failingTracesHref(provider: string, model: string, from: string, to: string): string {
  return `/traces?${new URLSearchParams({ provider, model, status: 'error', from, to })}`
}

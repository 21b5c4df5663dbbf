import {
  resultBucketSeconds,
  type Incident,
  type IncidentSettings,
  type IncidentsQuery,
  type IncidentsResponse,
  type ResultCounts,
} from '@tracegate/schemas'
import type { Store } from '../storage/client.ts'
import {
  affectedCallers,
  incidentWindow,
  exampleTraces,
  fateOfFailedRequests,
  minutesOfFailingTargets,
  resultCounts,
  resultSeries,
  keyHealth,
  targetHealth,
  type Range,
  type Target,
} from '../storage/incident-queries.ts'
import { detectIncidents, type DetectedIncident, type MinuteStat } from './detect.ts'

const MINUTE = 60_000
/** Incidents described in full per request (each costs a few reads); the newest first. */
const MAX_INCIDENTS = 20
/** Latency before an incident is read over this long before it started. */
const BEFORE_MS = 60 * MINUTE

const iso = (ms: number) => new Date(ms).toISOString()
const rate = (errors: number, attempts: number) => (attempts ? errors / attempts : 0)

/**
 * The incidents page in one answer: the incidents found in the range (each with what it hit and
 * what it cost), every target's attempt health, and what became of the requests over time.
 */
export async function incidentsReport(
  store: Store,
  q: IncidentsQuery,
  settings: IncidentSettings,
  timeoutMs?: number,
): Promise<IncidentsResponse> {
  const range = { from: q.from.getTime(), to: q.to.getTime() }
  const lookback = { from: range.from - settings.baseline_minutes * MINUTE, to: range.to }
  const [minutes, health, keys, series] = await Promise.all([
    minutesOfFailingTargets(store, lookback, timeoutMs),
    targetHealth(store, range, timeoutMs),
    keyHealth(store, range, timeoutMs),
    resultSeries(store, range, resultBucketSeconds(range.to - range.from), timeoutMs),
  ])
  const found = findIncidents(minutes, settings, range)
  const incidents = await Promise.all(
    found.slice(0, MAX_INCIDENTS).map((f) => describeIncident(store, f, range, timeoutMs)),
  )
  return {
    from: iso(range.from),
    to: iso(range.to),
    settings: { min_attempts_per_minute: settings.min_attempts_per_minute, error_rate: settings.error_rate },
    incidents,
    health: health.map((h) => ({ ...h, error_rate: rate(h.errors, h.attempts) })),
    key_health: keys.map((k) => ({ ...k, error_rate: rate(k.errors, k.attempts) })),
    results: resultCounts(series),
    result_series: seriesByTime(series),
  }
}

type Found = DetectedIncident & Target & { stats: MinuteStat[] }

/** Every target's incidents that overlap the range, ongoing first, then the most recent. */
function findIncidents(
  targets: Array<Target & { stats: MinuteStat[] }>,
  settings: IncidentSettings,
  range: Range,
): Found[] {
  const found: Found[] = []
  for (const { stats, ...target } of targets)
    for (const d of detectIncidents(stats, settings))
      if ((d.recoveredAt ?? Infinity) > range.from && d.since < range.to) found.push({ ...d, ...target, stats })
  return found.sort((a, b) => Number(a.recoveredAt !== null) - Number(b.recoveredAt !== null) || b.since - a.since)
}

async function describeIncident(store: Store, f: Found, range: Range, timeoutMs?: number): Promise<Incident> {
  const end = f.recoveredAt ?? range.to
  const window = { from: f.since, to: Math.max(end, f.since + MINUTE) }
  const target = { provider: f.provider, model: f.model }
  const [stats, affected, fate, examples] = await Promise.all([
    incidentWindow(store, window, BEFORE_MS, target, timeoutMs),
    affectedCallers(store, window, target, timeoutMs),
    fateOfFailedRequests(store, window, target, timeoutMs),
    exampleTraces(store, window, target, timeoutMs),
  ])
  const minutes = f.stats.filter((m) => m.minute >= window.from && m.minute < window.to)
  const attempts = minutes.reduce((n, m) => n + m.attempts, 0)
  const errors = minutes.reduce((n, m) => n + m.errors, 0)
  const pick = (dimension: string) =>
    affected.filter((a) => a.dimension === dimension).map(({ name, attempts, errors }) => ({ name, attempts, errors }))
  return {
    ...target,
    status: f.recoveredAt === null ? 'ongoing' : 'resolved',
    since: iso(f.since),
    recovered_at: f.recoveredAt === null ? null : iso(f.recoveredAt),
    attempts,
    errors,
    error_rate: rate(errors, attempts),
    baseline_error_rate: f.baseline,
    error_types: stats.error_types,
    latency: { p95_before_ms: stats.p95_before_ms, p95_during_ms: stats.p95_during_ms },
    affected: { keys: pick('key'), teams: pick('team'), workflows: pick('workflow') },
    retries: stats.retries,
    fallbacks: fate.fallbacks,
    requests: fate.requests,
    example_traces: examples.map((e) => e.trace_id),
    minutes: minutes.map((m) => ({ time: iso(m.minute), attempts: m.attempts, errors: m.errors })),
  }
}

/** The rows (ordered by time) as one bucket per time, every result counted in it. */
function seriesByTime(rows: Array<{ time: number; result: string; requests: number }>) {
  const byTime = new Map<number, typeof rows>()
  for (const r of rows) {
    const bucket = byTime.get(r.time)
    if (bucket) bucket.push(r)
    else byTime.set(r.time, [r])
  }
  return [...byTime].map(([t, bucket]) => ({ time: iso(t), ...(resultCounts(bucket) satisfies ResultCounts) }))
}

import type {
  AlertDeliveriesResponse,
  AlertHistoryResponse,
  AlertMetric,
  AlertRule,
  AlertRuleSpec,
  AlertRulesResponse,
  AlertStatesResponse,
} from '@tracegate/schemas'
import { getJson, sendJson } from './api.ts'

/** The alerts API for the Alerts page: reads through the shared client, writes here (JSON bodies). */
export const alertRules = (signal?: AbortSignal) => getJson<AlertRulesResponse>('/api/alerts/rules', signal)
export const alertStates = (signal?: AbortSignal) => getJson<AlertStatesResponse>('/api/alerts/states', signal)
export const alertHistory = (signal?: AbortSignal) =>
  getJson<AlertHistoryResponse>('/api/alerts/history?limit=200', signal)
export const alertDeliveries = (signal?: AbortSignal) =>
  getJson<AlertDeliveriesResponse>('/api/alerts/deliveries?limit=200', signal)

export const createRule = (spec: AlertRuleSpec) => sendJson<AlertRule>('POST', '/api/alerts/rules', spec)
export const updateRule = (id: string, spec: AlertRuleSpec) =>
  sendJson<AlertRule>('PUT', `/api/alerts/rules/${encodeURIComponent(id)}`, spec)
export const deleteRule = (id: string) => sendJson<unknown>('DELETE', `/api/alerts/rules/${encodeURIComponent(id)}`)

export const METRIC_LABELS: Record<AlertMetric, string> = {
  error_rate: 'Error rate (per attempt)',
  latency_p95_ms: 'Latency p95 (ms, per attempt)',
  ttft_p95_ms: 'Time to first token p95 (ms)',
  cost_usd: 'Cost (USD over the window)',
  requests_lost: 'Requests lost',
}

/** A metric's value as a person reads it: error rates as percentages. */
export function metricValue(metric: string, v: number | null): string {
  if (v === null) return 'no data'
  if (metric === 'error_rate') return `${(v * 100).toFixed(1)}%`
  // Alert costs can be fractions of a cent: significant digits, not a fixed two decimals.
  if (metric === 'cost_usd') return `$${v >= 1 ? v.toFixed(2) : Number(v.toPrecision(3))}`
  return String(Number(v.toPrecision(6)))
}

export const scopeText = (scope: Record<string, string | undefined>) =>
  Object.entries(scope)
    .filter(([, v]) => v)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ') || 'all traffic'

/** The form's fields as text inputs hold them. */
export interface RuleForm {
  name: string
  metric: AlertMetric
  provider: string
  model: string
  team: string
  key: string
  workflow: string
  window_minutes: number
  threshold: number
  for_minutes: number
  min_attempts: number
  notify: string[]
}

export const emptyForm = (): RuleForm => ({
  name: '',
  metric: 'error_rate',
  provider: '',
  model: '',
  team: '',
  key: '',
  workflow: '',
  window_minutes: 5,
  threshold: 0.1,
  for_minutes: 2,
  min_attempts: 10,
  notify: [],
})

export const formOf = (r: AlertRule): RuleForm => ({
  ...emptyForm(),
  ...r.scope,
  name: r.name,
  metric: r.metric,
  window_minutes: r.window_minutes,
  threshold: r.threshold,
  for_minutes: r.for_minutes,
  min_attempts: r.min_attempts,
  notify: [...r.notify],
})

/** The API body: empty scope fields are left out (they mean "all"). */
export function specOf(f: RuleForm): AlertRuleSpec {
  const scope = Object.fromEntries(
    (['provider', 'model', 'team', 'key', 'workflow'] as const).filter((k) => f[k].trim()).map((k) => [k, f[k].trim()]),
  )
  return {
    name: f.name.trim(),
    metric: f.metric,
    scope,
    window_minutes: Number(f.window_minutes),
    threshold: Number(f.threshold),
    for_minutes: Number(f.for_minutes),
    min_attempts: Number(f.min_attempts),
    notify: f.notify,
  }
}

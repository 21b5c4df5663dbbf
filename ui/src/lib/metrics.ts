import type { Metric } from '@tracegate/schemas'
import { count, ms, pct, tokens, usd } from './format.ts'

/** How each metric is labelled and printed, in one place for tables, charts and KPIs. */
export const METRIC_INFO: Record<Metric, { label: string; fmt: (v: number | string | null) => string }> = {
  requests: { label: 'Requests', fmt: count },
  errors: { label: 'Errors', fmt: count },
  error_rate: { label: 'Error rate', fmt: pct },
  p50_latency_ms: { label: 'p50 latency', fmt: ms },
  p95_latency_ms: { label: 'p95 latency', fmt: ms },
  p99_latency_ms: { label: 'p99 latency', fmt: ms },
  ttft_p50_ms: { label: 'p50 TTFT', fmt: ms },
  input_tokens: { label: 'Input tokens', fmt: tokens },
  output_tokens: { label: 'Output tokens', fmt: tokens },
  cost_usd: { label: 'Cost', fmt: usd },
  cost_per_request: { label: 'Cost / request', fmt: usd },
  retries: { label: 'Retries', fmt: count },
  fallbacks: { label: 'Fallbacks', fmt: count },
  provider_cost_usd: { label: 'Provider-reported cost', fmt: usd },
  cost_gap_usd: { label: 'Ours − provider-reported', fmt: usd },
  unpriced_requests: { label: 'Unpriced requests', fmt: count },
}

export const DIMENSION_LABELS: Record<string, string> = {
  workflow: 'Workflow',
  model: 'Model',
  provider: 'Provider',
  key: 'Key',
  team: 'Team',
  user: 'User',
  session: 'Session',
  status: 'Status',
  outcome: 'Error class',
  result: 'Outcome',
  error_type: 'Error type',
  tag: 'Tag',
}

export const dimensionLabel = (d: string) => DIMENSION_LABELS[d] ?? (d.startsWith('meta:') ? `meta ${d.slice(5)}` : d)

/** Outcome colours: green for fine, warm for the provider's fault, grey for the caller's. */
export const OUTCOME_COLORS: Record<string, string> = {
  ok: '#16a34a',
  '4xx': '#a3a3a3',
  '429': '#f59e0b',
  '5xx': '#dc2626',
  timeout: '#7c3aed',
  reset: '#db2777',
  stream_interrupted: '#ea580c',
  cancelled: '#64748b',
  rejected: '#78716c',
  error: '#991b1b',
  '': '#cbd5e1',
}

export const PALETTE = [
  '#2563eb',
  '#16a34a',
  '#dc2626',
  '#f59e0b',
  '#7c3aed',
  '#0891b2',
  '#db2777',
  '#65a30d',
  '#ea580c',
  '#475569',
]

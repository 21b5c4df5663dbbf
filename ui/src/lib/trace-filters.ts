import { OUTCOMES, REQUEST_RESULTS } from '@tracegate/schemas'
import { RESULT_LABELS } from './incident.ts'
import { COMMON_ERROR_TYPES, errorTypeLabel } from './labels.ts'

/**
 * The trace list's filter bar as data: one entry per URL key the list API filters on, in the order
 * the form shows them. A new filter is one more entry here (and its key in TraceListQuerySchema).
 */
export interface FilterField {
  key: string
  label: string
  kind: 'text' | 'number' | 'select'
  hint?: string
  /** select: [value, label] pairs after "any"; text: suggestions. */
  options?: ReadonlyArray<readonly [string, string]>
  /** number: the input's step and unit. */
  step?: string
}

const errorTypes = COMMON_ERROR_TYPES.map((t) => [t, errorTypeLabel(t)] as const)

export const TRACE_FILTERS: FilterField[] = [
  { key: 'q', label: 'Search', kind: 'text', hint: 'trace id, model or error text' },
  { key: 'provider', label: 'Provider', kind: 'text' },
  { key: 'model', label: 'Model', kind: 'text' },
  { key: 'key_name', label: 'Key', kind: 'text' },
  { key: 'team', label: 'Team', kind: 'text' },
  { key: 'user', label: 'User', kind: 'text' },
  { key: 'workflow', label: 'Workflow', kind: 'text' },
  {
    key: 'status',
    label: 'Status',
    kind: 'select',
    options: [
      ['ok', 'ok'],
      ['error', 'error'],
      ['cancelled', 'cancelled'],
    ],
  },
  {
    key: 'result',
    label: 'Outcome',
    kind: 'select',
    options: REQUEST_RESULTS.map((r) => [r, RESULT_LABELS[r]] as const),
  },
  { key: 'outcome', label: 'Error class', kind: 'select', options: OUTCOMES.map((o) => [o, o] as const) },
  { key: 'error_type', label: 'Error type', kind: 'text', hint: '429, timeout, …', options: errorTypes },
  { key: 'min_cost_usd', label: 'Min cost (USD)', kind: 'number', step: 'any' },
  { key: 'min_duration_ms', label: 'Min latency (ms)', kind: 'number', step: '1' },
  { key: 'tag', label: 'Tag', kind: 'text' },
  { key: 'meta', label: 'Metadata', kind: 'text', hint: 'name=value' },
]

/** URL keys passed on to the list API: the form's, and those only links set (a session's traces). */
export const TRACE_FILTER_KEYS = [...TRACE_FILTERS.map((f) => f.key), 'session_id']

/** The list API's query for a page's URL and range. */
export function traceParams(query: URLSearchParams, from: Date, to: Date, limit = 50): URLSearchParams {
  const p = new URLSearchParams({ from: from.toISOString(), to: to.toISOString(), limit: String(limit) })
  for (const k of TRACE_FILTER_KEYS) {
    const v = query.get(k)
    if (v) p.set(k, v)
  }
  return p
}

import type { Filter } from '@tracegate/schemas'

/** Slice dimensions as the trace list's URL keys; meta:<name> becomes meta=<name>=<value>. */
const TRACE_KEYS: Record<string, string> = {
  workflow: 'workflow',
  model: 'model',
  provider: 'provider',
  key: 'key_name',
  team: 'team',
  user: 'user',
  session: 'session_id',
  status: 'status',
  outcome: 'outcome',
  result: 'result',
  error_type: 'error_type',
  tag: 'tag',
}
/** The rollup stores OTel's status words; the trace list takes the explorer's. */
const STATUS: Record<string, string> = { Ok: 'ok', Error: 'error', Unset: 'cancelled' }

/**
 * The trace list showing the requests behind a slice's group (and time bucket): its values and the
 * slice's `eq` filters become list filters. Exclusions (`neq`, `not_in`) have no list equivalent
 * and are left out, so the list may show more than the group; the link's title says so.
 */
export function tracesHref(from: Date, to: Date, values: Array<{ dimension: string; value: string }>): string {
  const q = new URLSearchParams({ from: from.toISOString(), to: to.toISOString() })
  for (const { dimension, value } of values) {
    if (dimension.startsWith('meta:')) q.set('meta', `${dimension.slice(5)}=${value}`)
    else if (TRACE_KEYS[dimension])
      q.set(TRACE_KEYS[dimension], dimension === 'status' ? (STATUS[value] ?? value) : value)
  }
  return `/traces?${q}`
}

/** The slice's single-value `eq` filters, which the trace list can apply too. */
export const listableFilters = (filters: Filter[]) =>
  filters
    .filter((f) => (f.op === 'eq' || f.op === 'in') && (!Array.isArray(f.value) || f.value.length === 1))
    .map((f) => ({ dimension: f.dimension, value: Array.isArray(f.value) ? f.value[0]! : f.value }))

import type { Dimension, Filter, MetaKeysQuery, Metric, QueryRequest } from '@tracegate/schemas'
import { OUTCOME_SQL, REJECTED_SQL, RESULT_SQL } from './span-sql.ts'
import { formatTimestamp } from '../spans/time.ts'
import { readLimitSql } from './read-limits.ts'

export interface CompiledQuery {
  source: 'rollup' | 'spans'
  sql: string
  params: Record<string, unknown>
  columns: string[]
}

/** Column expressions per source. Only these strings (never input) become SQL text. */
const ROLLUP_DIMENSIONS: Partial<Record<Dimension, string>> = {
  model: 'Model',
  provider: 'Provider',
  key: 'KeyName',
  team: 'Team',
  workflow: 'Workflow',
  status: 'Status',
  outcome: 'Outcome',
  result: 'Result',
}
const SPAN_DIMENSIONS: Record<string, string> = {
  workflow: 'Workflow',
  model: 'ResponseModel',
  provider: 'Provider',
  key: 'KeyName',
  team: 'Team',
  user: 'User',
  session: 'SessionId',
  status: 'StatusCode',
  outcome: OUTCOME_SQL,
  result: RESULT_SQL,
  error_type: 'ErrorType',
  tag: 'arrayJoin(Tags)',
}
const ROLLUP_METRICS: Partial<Record<Metric, string>> = {
  requests: 'sum(Requests)',
  errors: "sumIf(Requests, Status = 'Error')",
  error_rate: "sumIf(Requests, Status = 'Error') / sum(Requests)",
  p50_latency_ms: 'quantilesTDigestMerge(0.5, 0.95, 0.99)(DurationMs)[1]',
  p95_latency_ms: 'quantilesTDigestMerge(0.5, 0.95, 0.99)(DurationMs)[2]',
  p99_latency_ms: 'quantilesTDigestMerge(0.5, 0.95, 0.99)(DurationMs)[3]',
  ttft_p50_ms: 'quantilesTDigestIfMerge(0.5, 0.95)(TtftMs)[1]',
  input_tokens: 'sum(InputTokens)',
  output_tokens: 'sum(OutputTokens)',
  cost_usd: 'sum(CostUsd)',
  cost_per_request: 'sum(CostUsd) / sum(Requests)',
  retries: 'sum(Attempts) - sum(Requests)',
  fallbacks: 'sum(Fallbacks)',
  provider_cost_usd: 'sum(ProviderCostUsd)',
  cost_gap_usd: 'sum(CostUsdProviderReported) - sum(ProviderCostUsd)',
}
const SPAN_METRICS: Record<Metric, string> = {
  requests: 'count()',
  errors: "countIf(StatusCode = 'Error')",
  error_rate: "countIf(StatusCode = 'Error') / count()",
  p50_latency_ms: 'quantile(0.5)(Duration / 1e6)',
  p95_latency_ms: 'quantile(0.95)(Duration / 1e6)',
  p99_latency_ms: 'quantile(0.99)(Duration / 1e6)',
  ttft_p50_ms: 'quantileIf(0.5)(TtftMs, TtftMs IS NOT NULL)',
  input_tokens: 'sum(ifNull(InputTokens, 0))',
  output_tokens: 'sum(ifNull(OutputTokens, 0))',
  cost_usd: 'sum(ifNull(CostUsd, 0))',
  cost_per_request: 'sum(ifNull(CostUsd, 0)) / count()',
  retries: 'sum(Attempt) - count()',
  fallbacks: "countIf(SpanAttributes['tracegate.fell_back'] = 'true')",
  provider_cost_usd: 'sum(ifNull(ProviderCostUsd, 0))',
  // Ours minus theirs, over the requests whose provider reported a cost.
  cost_gap_usd: 'sumIf(ifNull(CostUsd, 0), ProviderCostUsd IS NOT NULL) - sum(ifNull(ProviderCostUsd, 0))',
  // Requests of a model without a price: their spend is missing from cost_usd, not $0.
  unpriced_requests: "countIf(CostSource = 'unpriced')",
}
const INTERVALS: Record<string, string> = {
  '1m': '1 MINUTE',
  '5m': '5 MINUTE',
  '15m': '15 MINUTE',
  '1h': '1 HOUR',
  '1d': '1 DAY',
}

/** The rollup answers when every dimension, filter and metric exists there (meta and tags do not). */
function usesRollup(q: QueryRequest): boolean {
  return (
    q.group_by.every((d) => d in ROLLUP_DIMENSIONS) &&
    q.filters.every((f) => f.dimension in ROLLUP_DIMENSIONS) &&
    q.metrics.every((m) => m in ROLLUP_METRICS) &&
    (!q.order_by || q.order_by in ROLLUP_METRICS)
  )
}

/** SQL for a dimension; meta keys are bound as a parameter, never inlined. */
function dimensionSql(d: Dimension, rollup: boolean, params: Record<string, unknown>, n: number): string {
  if (d.startsWith('meta:')) {
    params[`meta${n}`] = `tracegate.meta.${d.slice(5)}`
    return `SpanAttributes[{meta${n}:String}]`
  }
  return rollup ? ROLLUP_DIMENSIONS[d]! : SPAN_DIMENSIONS[d]!
}

function filterSql(f: Filter, i: number, rollup: boolean, params: Record<string, unknown>): string {
  const col = f.dimension === 'tag' ? 'Tags' : dimensionSql(f.dimension, rollup, params, 100 + i)
  const values = Array.isArray(f.value) ? f.value : [f.value]
  // Status is shown as ok/error but stored as OTel's Ok/Error.
  params[`f${i}`] =
    f.dimension === 'status' ? values.map((v) => (v === 'ok' ? 'Ok' : v === 'error' ? 'Error' : v)) : values
  if (f.dimension === 'tag') return `${f.op === 'eq' || f.op === 'in' ? '' : 'NOT '}hasAny(Tags, {f${i}:Array(String)})`
  return `${col} ${f.op === 'eq' || f.op === 'in' ? 'IN' : 'NOT IN'} {f${i}:Array(String)}`
}

/** Where a slice reads from, and the rows it keeps, shared by the slice and its top-groups subquery. */
interface Source {
  rollup: boolean
  table: string
  where: string
  metric: (m: Metric) => string
}

function sourceOf(q: QueryRequest, database: string, params: Record<string, unknown>): Source {
  const rollup = usesRollup(q)
  const where = rollup
    ? ['Minute >= toStartOfMinute({from:DateTime64(9)})', 'Minute < {to:DateTime64(9)}']
    : [
        "SpanKind = 'Server'",
        `NOT (${REJECTED_SQL})`,
        'Timestamp >= {from:DateTime64(9)}',
        'Timestamp < {to:DateTime64(9)}',
      ]
  q.filters.forEach((f, i) => where.push(filterSql(f, i, rollup, params)))
  return {
    rollup,
    table: `${database}.${rollup ? 'spans_1m' : 'spans'}`,
    where: where.join(' AND '),
    metric: (m) => (rollup ? ROLLUP_METRICS[m]! : SPAN_METRICS[m]),
  }
}

/**
 * The group columns. With `top`, a group is kept when its values are among the top groups of the
 * whole range; every other group is folded into one row (empty values, `other` = 1).
 */
function groupSelect(q: QueryRequest, src: Source, dims: string[], params: Record<string, unknown>): string[] {
  if (!q.top) return dims.map((d, i) => `${d} AS d${i}`)
  params.top = q.top
  const rank = src.metric(q.order_by ?? q.metrics[0]!)
  const ranked = `SELECT ${dims.join(', ')} FROM ${src.table} WHERE ${src.where}
  GROUP BY ${dims.join(', ')} ORDER BY ${rank} DESC LIMIT {top:UInt32}`
  // Aliased once inside the IN, so an arrayJoin (tags) is expanded once, not per use.
  const key = dims.map((d, i) => `${d} AS r${i}`).join(', ')
  return [
    `(${key}) IN (${ranked}) AS is_top`,
    'NOT is_top AS other',
    ...dims.map((_, i) => `if(is_top, r${i}, '') AS d${i}`),
  ]
}

/** Compile a validated slice into parameterised SQL over the rollup or the raw request spans, bounded to `timeoutMs`. */
export function compileQuery(q: QueryRequest, database: string, timeoutMs?: number): CompiledQuery {
  const params: Record<string, unknown> = {
    from: formatTimestamp(q.from.getTime()),
    to: formatTimestamp(q.to.getTime()),
    limit: q.limit,
  }
  const src = sourceOf(q, database, params)
  const ts = src.rollup ? 'Minute' : 'Timestamp'
  const select: string[] = []
  const groups: string[] = []
  const columns: string[] = []
  if (q.interval) {
    select.push(`toStartOfInterval(${ts}, INTERVAL ${INTERVALS[q.interval]}) AS time`)
    groups.push('time')
    columns.push('time')
  }
  const dims = q.group_by.map((d, i) => dimensionSql(d, src.rollup, params, i))
  select.push(...groupSelect(q, src, dims, params))
  if (q.top) {
    groups.push('is_top')
    columns.push('other')
  }
  q.group_by.forEach((d, i) => {
    groups.push(`d${i}`)
    columns.push(d)
  })
  q.metrics.forEach((m) => {
    select.push(`${src.metric(m)} AS ${m}`)
    columns.push(m)
  })
  // The metric's expression, not its alias: order_by may name a metric the slice does not select.
  const rank = `${src.metric(q.order_by ?? q.metrics[0]!)} DESC`
  const order = q.interval ? 'time' : q.top ? `other, ${rank}` : rank
  const sql = `SELECT ${select.join(', ')}
FROM ${src.table}
WHERE ${src.where}${groups.length ? `\nGROUP BY ${groups.join(', ')}` : ''}
ORDER BY ${order}
LIMIT {limit:UInt32}${readLimitSql(timeoutMs)}`
  return { source: src.rollup ? 'rollup' : 'spans', sql, params, columns }
}

const META_PREFIX = 'tracegate.meta.'
/** Metadata names are looked for in at most the last week of a range: they feed a picker, not a report. */
const META_LOOKBACK_MS = 7 * 86_400_000

/** Distinct metadata names in a range (only the map's keys are read). */
export function compileMetaKeys(q: MetaKeysQuery, database: string, timeoutMs?: number): CompiledQuery {
  const from = Math.max(q.from.getTime(), q.to.getTime() - META_LOOKBACK_MS)
  return {
    source: 'spans',
    sql: `SELECT DISTINCT substring(k, ${META_PREFIX.length + 1}) AS key
FROM (SELECT arrayJoin(mapKeys(SpanAttributes)) AS k FROM ${database}.spans
  WHERE SpanKind = 'Server' AND Timestamp >= {from:DateTime64(9)} AND Timestamp < {to:DateTime64(9)})
WHERE startsWith(k, '${META_PREFIX}')
ORDER BY key LIMIT 200${readLimitSql(timeoutMs)}`,
    params: { from: formatTimestamp(from), to: formatTimestamp(q.to.getTime()) },
    columns: ['key'],
  }
}

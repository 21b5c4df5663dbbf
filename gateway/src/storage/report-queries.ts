import {
  CostReportRowSchema,
  REPORT_DIMENSIONS,
  type CostReport,
  type CostReportQuery,
  type CostReportRow,
} from '@tracegate/schemas'
import type { Store } from './client.ts'
import { formatTimestamp } from '../spans/time.ts'
import { readLimitSql } from './read-limits.ts'
import { REJECTED_SQL } from './span-sql.ts'
import { apiRow, queryRows, rowSchema } from './rows.ts'

/**
 * Cost per team / key / workflow / model / provider over a period, from the per-minute rollup:
 * cheap over months of traffic. The dimension comes from an allow-list; the range is bound as
 * parameters. The API bounds it to `timeoutMs`; the CLI, reading the data directory itself, does not.
 */
const NUMERIC = [
  'requests',
  'errors',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cost_usd',
  'priced_requests',
  'unpriced_requests',
  'provider_reported_requests',
  'provider_cost_usd',
  'cost_usd_provider_reported',
  'cost_gap_usd',
] as const

/** The columns are aliased to the report row's fields; the gap is computed from two of them. */
const COST_REPORT_ROWS = rowSchema(
  'cost report',
  apiRow(CostReportRowSchema.omit({ cost_gap_usd: true, priced_requests: true, unpriced_requests: true })).transform(
    (r) => ({ ...r, cost_gap_usd: r.cost_usd_provider_reported - r.provider_cost_usd }),
  ),
)
const PRICING_ROWS = rowSchema(
  'priced and unpriced requests',
  apiRow(CostReportRowSchema.pick({ group: true, priced_requests: true, unpriced_requests: true })),
)

/** The report's dimensions on the raw spans (the rollup's Model is the answering model). */
const SPAN_COLUMNS: Record<CostReportQuery['group_by'], string> = {
  team: 'Team',
  key: 'KeyName',
  workflow: 'Workflow',
  model: 'ResponseModel',
  provider: 'Provider',
}

/** A report's period as the query parameters {from:DateTime64(9)} and {to:DateTime64(9)}. */
export const rangeParams = (q: { from: Date; to: Date }) => ({
  from: formatTimestamp(q.from.getTime()),
  to: formatTimestamp(q.to.getTime()),
})

/**
 * Priced and unpriced requests per group. The rollup has no count of them, so they come from the
 * request spans, over the same whole minutes the rollup rows cover (refused requests are not in it).
 */
function pricing(store: Store, q: CostReportQuery, timeoutMs?: number) {
  return queryRows(
    store.client,
    {
      query: `SELECT ${SPAN_COLUMNS[q.group_by]} AS group,
        countIf(CostUsd IS NOT NULL) AS priced_requests, countIf(CostSource = 'unpriced') AS unpriced_requests
      FROM ${store.database}.spans
      WHERE SpanKind = 'Server' AND NOT (${REJECTED_SQL})
        AND Timestamp >= toStartOfMinute({from:DateTime64(9)}) AND toStartOfMinute(Timestamp) < {to:DateTime64(9)}
      GROUP BY group${readLimitSql(timeoutMs)}`,
      query_params: rangeParams(q),
    },
    PRICING_ROWS,
  )
}

export async function costReport(store: Store, q: CostReportQuery, timeoutMs?: number): Promise<CostReport> {
  const column = REPORT_DIMENSIONS[q.group_by]
  const [spend, counts] = await Promise.all([rollupRows(store, q, column, timeoutMs), pricing(store, q, timeoutMs)])
  const byGroup = new Map(counts.map((c) => [c.group, c]))
  const rows = spend.map((r): CostReportRow => ({
    ...r,
    priced_requests: byGroup.get(r.group)?.priced_requests ?? 0,
    unpriced_requests: byGroup.get(r.group)?.unpriced_requests ?? 0,
  }))
  const totals = Object.fromEntries(NUMERIC.map((k) => [k, rows.reduce((s, r) => s + r[k], 0)])) as Omit<
    CostReportRow,
    'group'
  >
  return { from: q.from.toISOString(), to: q.to.toISOString(), group_by: q.group_by, rows, totals }
}

function rollupRows(store: Store, q: CostReportQuery, column: string, timeoutMs?: number) {
  return queryRows(
    store.client,
    {
      query: `SELECT ${column} AS group,
        sum(Requests) AS requests, sumIf(Requests, Status = 'Error') AS errors,
        sum(InputTokens) AS input_tokens, sum(OutputTokens) AS output_tokens,
        sum(CacheReadTokens) AS cache_read_tokens, sum(CostUsd) AS cost_usd,
        sum(ProviderReportedRequests) AS provider_reported_requests, sum(ProviderCostUsd) AS provider_cost_usd,
        sum(CostUsdProviderReported) AS cost_usd_provider_reported
      FROM ${store.database}.spans_1m
      WHERE Minute >= toStartOfMinute({from:DateTime64(9)}) AND Minute < {to:DateTime64(9)}
      GROUP BY group ORDER BY cost_usd DESC, group${readLimitSql(timeoutMs)}`,
      query_params: rangeParams(q),
    },
    COST_REPORT_ROWS,
  )
}

/**
 * OWASP's CSV-injection rule: a spreadsheet runs a cell that starts with one of these as a formula
 * (`=HYPERLINK(...)` from a team header), so such a cell gets a leading quote and is shown as text.
 */
const FORMULA_START = /^[=+\-@\t\r]/

/** RFC 4180 quoting for a cell holding a quote, a comma or a line break. */
const quoted = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s)

/** Text that came from requests (team, key, workflow, model, provider names). */
export const textCell = (s: string) => quoted(FORMULA_START.test(s) ? `'${s}` : s)

/** Dollars to 1e-10 without float noise or exponents, so many tiny costs still add up to the total. */
export const usdText = (v: number) => {
  const fixed = v.toFixed(10)
  return Number(fixed) === 0 ? '0' : fixed.replace(/\.?0+$/, '')
}

/**
 * CSV with a header, one `group` row per group and a final `total` row. The first column says
 * which a row is, so no group name (a team called TOTAL) can pass for the total. After cost_usd,
 * how many requests it covers and how many had no price (their spend is missing, not $0). The last three
 * columns compare with what providers reported themselves: how many requests, their sum, and our
 * cost minus theirs over those requests.
 */
export function reportCsv(r: CostReport): string {
  const header = [
    'row',
    r.group_by,
    'requests',
    'errors',
    'input_tokens',
    'output_tokens',
    'cache_read_tokens',
    'cost_usd',
    'priced_requests',
    'unpriced_requests',
    'provider_reported_requests',
    'provider_cost_usd',
    'cost_gap_usd',
  ]
  const line = (row: 'group' | 'total', group: string, x: Omit<CostReportRow, 'group'>) =>
    [
      row,
      textCell(group),
      x.requests,
      x.errors,
      x.input_tokens,
      x.output_tokens,
      x.cache_read_tokens,
      usdText(x.cost_usd),
      x.priced_requests,
      x.unpriced_requests,
      x.provider_reported_requests,
      usdText(x.provider_cost_usd),
      usdText(x.cost_gap_usd),
    ].join(',')
  return (
    [header.map(textCell).join(','), ...r.rows.map((x) => line('group', x.group, x)), line('total', '', r.totals)].join(
      '\n',
    ) + '\n'
  )
}

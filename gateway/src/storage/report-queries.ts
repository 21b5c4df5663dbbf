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
  'provider_reported_requests',
  'provider_cost_usd',
  'cost_usd_provider_reported',
  'cost_gap_usd',
] as const

/** The columns are aliased to the report row's fields; the gap is computed from two of them. */
const COST_REPORT_ROWS = rowSchema(
  'cost report',
  apiRow(CostReportRowSchema.omit({ cost_gap_usd: true })).transform((r): CostReportRow => ({
    ...r,
    cost_gap_usd: r.cost_usd_provider_reported - r.provider_cost_usd,
  })),
)

export async function costReport(store: Store, q: CostReportQuery, timeoutMs?: number): Promise<CostReport> {
  const column = REPORT_DIMENSIONS[q.group_by]
  const rows = await queryRows(
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
      query_params: { from: formatTimestamp(q.from.getTime()), to: formatTimestamp(q.to.getTime()) },
    },
    COST_REPORT_ROWS,
  )
  const totals = Object.fromEntries(NUMERIC.map((k) => [k, rows.reduce((s, r) => s + r[k], 0)])) as Omit<
    CostReportRow,
    'group'
  >
  return { from: q.from.toISOString(), to: q.to.toISOString(), group_by: q.group_by, rows, totals }
}

/**
 * OWASP's CSV-injection rule: a spreadsheet runs a cell that starts with one of these as a formula
 * (`=HYPERLINK(...)` from a team header), so such a cell gets a leading quote and is shown as text.
 */
const FORMULA_START = /^[=+\-@\t\r]/

/** RFC 4180 quoting for a cell holding a quote, a comma or a line break. */
const quoted = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s)

/** Text that came from requests (team, key, workflow, model, provider names). */
const textCell = (s: string) => quoted(FORMULA_START.test(s) ? `'${s}` : s)

/** Dollars to 1e-10 without float noise or exponents, so many tiny costs still add up to the total. */
const usdText = (v: number) => {
  const fixed = v.toFixed(10)
  return Number(fixed) === 0 ? '0' : fixed.replace(/\.?0+$/, '')
}

/**
 * CSV with a header, one `group` row per group and a final `total` row. The first column says
 * which a row is, so no group name (a team called TOTAL) can pass for the total. The last three
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

import type { CompareReport, CompareSide } from '@tracegate/schemas'
import { textCell, usdText } from '../storage/report-queries.ts'

/** A side's columns, in order, each with how its value is written. */
const SIDE: Array<[keyof CompareSide, 'text' | 'number' | 'usd']> = [
  ['target', 'text'],
  ['requests', 'number'],
  ['errors', 'number'],
  ['error_rate', 'number'],
  ['latency_p50_ms', 'number'],
  ['latency_p95_ms', 'number'],
  ['ttft_p50_ms', 'number'],
  ['ttft_p95_ms', 'number'],
  ['input_tokens', 'number'],
  ['output_tokens', 'number'],
  ['input_tokens_per_request', 'number'],
  ['output_tokens_per_request', 'number'],
  ['cost_usd', 'usd'],
  ['cost_per_request_usd', 'usd'],
  ['unpriced_requests', 'number'],
  ['projected_monthly_usd', 'usd'],
]
const AGREEMENT = [
  'pairs_compared',
  'exact_match_rate',
  'mean_length_ratio',
  'json_pairs',
  'json_valid_rate_primary',
  'json_valid_rate_shadow',
  'tool_pairs',
  'same_tools_rate',
] as const

/** An empty cell for "not applicable" (null), never 0. */
function value(v: string | number | null, kind: 'text' | 'number' | 'usd'): string {
  if (v === null) return ''
  if (kind === 'text') return textCell(String(v))
  return kind === 'usd' ? usdText(Number(v)) : String(v)
}

/** One line per pair row: workflow, alias, the primary's columns, the shadow's, the agreement figures. */
export function compareCsv(r: CompareReport): string {
  const header = [
    'workflow',
    'alias',
    'workflow_requests',
    ...SIDE.map(([k]) => `primary_${k}`),
    ...SIDE.map(([k]) => `shadow_${k}`),
    ...AGREEMENT,
  ]
  const lines = r.rows.map((row) =>
    [
      textCell(row.workflow),
      textCell(row.alias),
      String(row.workflow_requests),
      ...SIDE.map(([k, kind]) => value(row.primary[k], kind)),
      ...SIDE.map(([k, kind]) => value(row.shadow[k], kind)),
      ...AGREEMENT.map((k) => value(row.agreement[k], 'number')),
    ].join(','),
  )
  return [header.join(','), ...lines].join('\n') + '\n'
}

import type { CompareReport, CompareRow, CompareSide } from '@tracegate/schemas'
import { NONE, num, pct, usd } from '../reports/text-format.ts'

/** The compare report as text: one side-by-side block per pair row, then the totals. */

const pair = (a: number | null, b: number | null, unit: string) =>
  a === null && b === null ? NONE : `${num(a, 1)} / ${num(b, 1)} ${unit}`
const perRequest = (total: number, each: number | null) => `${num(total)} (${num(each, 1)}/req)`

const LINES: Array<[string, (s: CompareSide) => string]> = [
  ['target', (s) => s.target],
  ['requests', (s) => num(s.requests)],
  ['error rate', (s) => `${pct(s.error_rate)} (${num(s.errors)})`],
  ['latency p50 / p95', (s) => pair(s.latency_p50_ms, s.latency_p95_ms, 'ms')],
  ['TTFT p50 / p95', (s) => pair(s.ttft_p50_ms, s.ttft_p95_ms, 'ms')],
  ['input tokens', (s) => perRequest(s.input_tokens, s.input_tokens_per_request)],
  ['output tokens', (s) => perRequest(s.output_tokens, s.output_tokens_per_request)],
  ['cost per request', (s) => usd(s.cost_per_request_usd)],
  ['cost in the period', (s) => `${usd(s.cost_usd)}${s.unpriced_requests ? ` + ${s.unpriced_requests} unpriced` : ''}`],
  ['projected monthly', (s) => usd(s.projected_monthly_usd)],
]

function agreement(r: CompareRow): string {
  const a = r.agreement
  const parts = [
    `${num(a.pairs_compared)} pairs compared`,
    `exact match ${pct(a.exact_match_rate)}`,
    `length ratio ${num(a.mean_length_ratio, 2)}`,
    a.json_pairs
      ? `JSON valid ${pct(a.json_valid_rate_primary)} / ${pct(a.json_valid_rate_shadow)} of ${a.json_pairs}`
      : 'JSON valid –',
    a.tool_pairs ? `same tools ${pct(a.same_tools_rate)} of ${a.tool_pairs}` : 'same tools –',
  ]
  return `agreement: ${parts.join(', ')}`
}

function block(r: CompareRow): string {
  const title = `${r.workflow || '(no workflow)'} · alias ${r.alias || '(none)'} · ${num(r.workflow_requests)} requests in the period`
  const rows: string[][] = [['', 'primary', 'shadow'], ...LINES.map(([label, f]) => [label, f(r.primary), f(r.shadow)])]
  const widths = [0, 1].map((i) => Math.max(...rows.map((x) => x[i]!.length)) + 3)
  const table = rows.map(([a, b, c]) => `  ${a!.padEnd(widths[0]!)}${b!.padEnd(widths[1]!)}${c}`.trimEnd())
  return [title, ...table, `  ${agreement(r)}`].join('\n')
}

export function compareText(r: CompareReport): string {
  const period = `${r.from} to ${r.to}${r.workflow !== null ? `, workflow ${r.workflow}` : ''}`
  if (!r.rows.length) return `No shadow traffic from ${period}.\n`
  const t = r.totals
  const totals = `shadow cost ${usd(t.shadow_cost_usd)} (not billed, not in budgets) · billed cost of the ${num(t.sampled_requests)} sampled requests ${usd(t.billed_cost_usd)}`
  return `Shadow traffic from ${period}\n\n${r.rows.map(block).join('\n\n')}\n\n${totals}\n`
}

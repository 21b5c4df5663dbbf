import type { CompareReport, CompareRow } from '@tracegate/schemas'
import { row, type CheckRow } from './rows.ts'
import { NONE, pct, usd } from '../reports/text-format.ts'

/** The shadow-traffic step looks back this far: the checklist asks for a week of it. */
export const SHADOW_WEEK_MS = 7 * 86_400_000

function pairRow(r: CompareRow): CheckRow {
  const { primary: p, shadow: s, agreement: a } = r
  const detail =
    `${a.pairs_compared} pairs compared: exact match ${pct(a.exact_match_rate)}, ` +
    `errors ${pct(p.error_rate)} vs ${pct(s.error_rate)}, p95 ${p.latency_p95_ms ?? NONE} vs ${s.latency_p95_ms ?? NONE} ms, ` +
    `per request ${usd(p.cost_per_request_usd)} vs ${usd(s.cost_per_request_usd)}; judge them on /compare`
  return row(
    7,
    'shadow-traffic',
    `${r.workflow || '(no workflow)'} · ${r.alias}: ${p.target} vs ${s.target}`,
    'manual',
    detail,
  )
}

/**
 * Step 7 from the last week's shadow traffic (GET /api/compare): one row per workflow and pair,
 * with what it showed. Still `manual`: whether a candidate's answers are good enough is a judgement.
 */
export function shadowRows(report: CompareReport): CheckRow[] {
  if (report.rows.length) return report.rows.map(pairRow)
  return [
    row(
      7,
      'shadow-traffic',
      '-',
      'manual',
      'no shadow traffic in the last 7 days: add shadow: { targets, sample } to an alias (docs/shadow.md), then compare on /compare or with tracegate compare',
    ),
  ]
}

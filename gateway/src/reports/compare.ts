import {
  COMPARE_MONTH_DAYS,
  type ComparePair,
  type ComparePairsQuery,
  type ComparePairsResponse,
  type CompareQuery,
  type CompareReport,
  type CompareRow,
  type CompareSide,
  type PairSide,
} from '@tracegate/schemas'
import type { Store } from '../storage/client.ts'
import { aliasRequests, pairGroups, sampledTotals, type PairGroupRow } from '../storage/compare-queries.ts'
import { latestPairs, type PairRow } from '../storage/compare-pairs.ts'
import { isoFromClickHouse } from '../spans/time.ts'
import { answerText } from './compare-answer.ts'

const DAY = 86_400_000

/** Dollars to a trillionth: sums of many tiny costs without float noise. */
const dollars = (v: number) => Number(v.toFixed(12))
const ratio = (n: number, d: number) => (d > 0 ? n / d : null)

/**
 * One side's figures. The projection: cost per request × the alias's requests in this workflow per
 * day over the period × 30 days, i.e. what that traffic would cost a month at this side's price.
 */
function side(r: PairGroupRow, s: 'p' | 'sh', target: string, perDay: number): CompareSide {
  const perRequest = r[`${s}_cost_per_request_usd`]
  return {
    target,
    requests: r.requests,
    errors: r[`${s}_errors`],
    error_rate: r[`${s}_errors`] / r.requests,
    latency_p50_ms: r[`${s}_latency_p50_ms`],
    latency_p95_ms: r[`${s}_latency_p95_ms`],
    ttft_p50_ms: r[`${s}_ttft_p50_ms`],
    ttft_p95_ms: r[`${s}_ttft_p95_ms`],
    input_tokens: r[`${s}_input_tokens`] ?? 0,
    output_tokens: r[`${s}_output_tokens`] ?? 0,
    input_tokens_per_request: r[`${s}_input_tokens_per_request`],
    output_tokens_per_request: r[`${s}_output_tokens_per_request`],
    cost_usd: dollars(r[`${s}_cost_usd`] ?? 0),
    cost_per_request_usd: perRequest === null ? null : dollars(perRequest),
    unpriced_requests: r[`${s}_unpriced_requests`],
    projected_monthly_usd: perRequest === null ? null : dollars(perRequest * perDay * COMPARE_MONTH_DAYS),
  }
}

function row(r: PairGroupRow, workflowRequests: number, days: number): CompareRow {
  const perDay = workflowRequests / days
  return {
    workflow: r.workflow,
    alias: r.alias,
    workflow_requests: workflowRequests,
    primary: side(r, 'p', r.primary, perDay),
    shadow: side(r, 'sh', r.shadow, perDay),
    agreement: {
      pairs_compared: r.pairs_compared,
      exact_match_rate: ratio(r.exact_matches, r.pairs_compared),
      mean_length_ratio: r.mean_length_ratio,
      json_pairs: r.json_pairs,
      json_valid_rate_primary: ratio(r.json_valid_primary, r.json_pairs),
      json_valid_rate_shadow: ratio(r.json_valid_shadow, r.json_pairs),
      tool_pairs: r.tool_pairs,
      same_tools_rate: ratio(r.same_tools, r.tool_pairs),
    },
  }
}

/** The shadow-traffic comparison of a period: every pair row, and what shadowing cost beside what was billed. */
export async function compareReport(store: Store, q: CompareQuery, timeoutMs?: number): Promise<CompareReport> {
  const [groups, requests, sampled] = await Promise.all([
    pairGroups(store, q, timeoutMs),
    aliasRequests(store, q, timeoutMs),
    sampledTotals(store, q, timeoutMs),
  ])
  const days = (q.to.getTime() - q.from.getTime()) / DAY
  const key = (workflow: string, alias: string) => JSON.stringify([workflow, alias])
  const byAlias = new Map(requests.map((r) => [key(r.workflow, r.alias), r.requests]))
  const rows = groups.map((g) => row(g, byAlias.get(key(g.workflow, g.alias)) ?? g.requests, days))
  return {
    from: q.from.toISOString(),
    to: q.to.toISOString(),
    days,
    workflow: q.workflow ?? null,
    rows,
    totals: {
      pairs: rows.reduce((n, r) => n + r.shadow.requests, 0),
      shadow_cost_usd: dollars(rows.reduce((n, r) => n + r.shadow.cost_usd, 0)),
      billed_cost_usd: dollars(sampled.billed_cost_usd),
      sampled_requests: sampled.sampled_requests,
    },
  }
}

const status = (errorType: string): PairSide['status'] =>
  errorType === 'cancelled' ? 'cancelled' : errorType ? 'error' : 'ok'

/** Tool names as the span recorded them (a JSON array); anything else reads as none. */
function toolNames(text: string): string[] {
  if (!text) return []
  try {
    const v: unknown = JSON.parse(text)
    return Array.isArray(v) ? v.map(String) : []
  } catch {
    return []
  }
}

function pairSide(r: PairRow, s: 'p' | 'sh'): PairSide {
  const chars = r[`${s}_chars`]
  const json = r[`${s}_json_valid`]
  return {
    span_id: r[`${s}_span_id`],
    status: status(r[`${s}_error_type`]),
    error_type: r[`${s}_error_type`],
    http_status: r[`${s}_http_status`],
    latency_ms: r[`${s}_latency_ms`],
    ttft_ms: r[`${s}_ttft_ms`],
    cost_usd: r[`${s}_cost_usd`],
    output: answerText(r[`${s}_output`], r.route, r.stream),
    output_truncated: r[`${s}_output_truncated`],
    output_chars: chars === '' || Number.isNaN(Number(chars)) ? null : Number(chars),
    json_valid: json === '' ? null : json === 'true',
    tools: toolNames(r[`${s}_tools`]),
  }
}

/** The latest pairs of one row, both answers side by side. */
export async function comparePairs(
  store: Store,
  q: ComparePairsQuery,
  timeoutMs?: number,
): Promise<ComparePairsResponse> {
  const rows = await latestPairs(store, q, timeoutMs)
  return {
    pairs: rows.map((r): ComparePair => ({
      trace_id: r.trace_id,
      start_time: isoFromClickHouse(r.start_time),
      agreed: r.compared ? Boolean(r.agreed) : null,
      primary: pairSide(r, 'p'),
      shadow: pairSide(r, 'sh'),
    })),
  }
}

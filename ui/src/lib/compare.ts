import type { CompareRow, CompareSide } from '@tracegate/schemas'
import { costWithUnpriced, count, ms, pct, tokens, usd } from './format.ts'

/** One pair row as the drill-down names it, kept in the URL (`pair`) so a link reopens it. */
export interface PairKey {
  workflow: string
  alias: string
  primary: string
  shadow: string
}

export const pairKey = (r: CompareRow): PairKey => ({
  workflow: r.workflow,
  alias: r.alias,
  primary: r.primary.target,
  shadow: r.shadow.target,
})

export const encodePair = (k: PairKey): string => JSON.stringify([k.workflow, k.alias, k.primary, k.shadow])

/** The URL's `pair`, or null when it is absent or not one of ours. */
export function decodePair(text: string | null): PairKey | null {
  if (!text) return null
  try {
    const v: unknown = JSON.parse(text)
    if (!Array.isArray(v) || v.length !== 4 || !v.every((x) => typeof x === 'string')) return null
    const [workflow, alias, primary, shadow] = v as string[]
    return { workflow: workflow!, alias: alias!, primary: primary!, shadow: shadow! }
  } catch {
    return null
  }
}

export const samePair = (a: PairKey | null, b: PairKey) => a !== null && encodePair(a) === encodePair(b)

const perRequest = (total: number, each: number | null) =>
  each === null ? tokens(total) : `${tokens(total)} (${each.toFixed(1)} / request)`
const both = (a: number | null, b: number | null) => (a === null && b === null ? '–' : `${ms(a)} / ${ms(b)}`)

/** The side-by-side table's lines: a label and how a side shows it. */
export const SIDE_LINES: ReadonlyArray<[key: string, label: string, show: (s: CompareSide) => string]> = [
  ['requests', 'Requests', (s) => count(s.requests)],
  ['error_rate', 'Error rate', (s) => `${pct(s.error_rate)} (${count(s.errors)})`],
  ['latency', 'Latency p50 / p95', (s) => both(s.latency_p50_ms, s.latency_p95_ms)],
  ['ttft', 'Time to first token p50 / p95', (s) => both(s.ttft_p50_ms, s.ttft_p95_ms)],
  ['input_tokens', 'Input tokens', (s) => perRequest(s.input_tokens, s.input_tokens_per_request)],
  ['output_tokens', 'Output tokens', (s) => perRequest(s.output_tokens, s.output_tokens_per_request)],
  ['cost_per_request', 'Cost per request', (s) => usd(s.cost_per_request_usd)],
  ['cost', 'Cost in the period', (s) => costWithUnpriced(s.cost_usd, s.unpriced_requests)],
  ['projected', 'Projected monthly cost', (s) => usd(s.projected_monthly_usd)],
]

import type { Usage, UsageKey } from '../wires/usage-keys.ts'

/** Usage keys the fast path knows; any other key sends a call through calcPrice. */
export const LINEAR_KEYS = [
  'input_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'cache_write_5m_tokens',
  'cache_write_1h_tokens',
  'input_tool_tokens',
  'output_tokens',
  'output_reasoning_tokens',
  'web_searches',
] as const

/** A model's price as a linear function of its usage: cost = intercept + Σ coefficient × count. */
export interface LinearPrice {
  intercept: number
  coef: Record<string, number>
  learntAt: number
}

/**
 * An interior point where every parent holds its children with room to spare, so each key can be
 * nudged alone without breaking genai-prices' hierarchy (cached ⊂ input, reasoning ⊂ output…).
 * Below the usual long-context tiers (200k input): a tiered model is caught by the probes.
 */
const BASE: Usage = {
  input_tokens: 60_000,
  cache_read_tokens: 10_000,
  cache_write_tokens: 10_000,
  cache_write_5m_tokens: 3_000,
  cache_write_1h_tokens: 3_000,
  input_tool_tokens: 1_000,
  output_tokens: 20_000,
  output_reasoning_tokens: 5_000,
  web_searches: 5,
}
const STEP: Record<string, number> = { web_searches: 1 }
/** Points the learnt function must reproduce exactly, the large one above common tier thresholds. */
const PROBES: Usage[] = [
  { input_tokens: 0, output_tokens: 0 },
  {
    input_tokens: 1_234,
    output_tokens: 567,
    cache_read_tokens: 89,
    cache_write_tokens: 10,
    output_reasoning_tokens: 100,
  },
  {
    input_tokens: 123_457,
    output_tokens: 6_789,
    cache_read_tokens: 23_456,
    cache_write_tokens: 3_456,
    cache_write_1h_tokens: 1_000,
    web_searches: 2,
  },
  { input_tokens: 2_000_000, output_tokens: 300_000, cache_read_tokens: 500_000, cache_write_tokens: 100_000 },
]

export function linearCost(p: LinearPrice, u: Usage): number {
  let usd = p.intercept
  for (const k in u) usd += (p.coef[k] ?? 0) * (u[k as UsageKey] ?? 0)
  return usd
}

/**
 * Learn a model's price from calcPrice itself, and keep it only if it really is linear (checked
 * at the probes: tiered or long-context prices fail and keep going through calcPrice). Saves the
 * package's per-call matching on every span.
 */
export function learnLinearPrice(calc: (u: Usage) => number, now = Date.now()): LinearPrice | null {
  const at = calc(BASE)
  const coef: Record<string, number> = {}
  let intercept = at
  for (const k of LINEAR_KEYS) {
    const step = STEP[k] ?? 1_000
    coef[k] = (calc({ ...BASE, [k]: BASE[k]! + step }) - at) / step
    intercept -= coef[k]! * BASE[k]!
  }
  const p: LinearPrice = { intercept, coef, learntAt: now }
  for (const probe of PROBES) {
    const want = calc(probe)
    if (!Number.isFinite(want) || Math.abs(linearCost(p, probe) - want) > 1e-9 * Math.max(1e-3, want)) return null
  }
  return p
}

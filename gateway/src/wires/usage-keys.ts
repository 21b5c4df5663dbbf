/**
 * Billed usage in @pydantic/genai-prices' own keys: `input_tokens` counts every input token
 * (cached ones included) and `cache_read_tokens`, `cache_write_tokens` (and its `_5m` / `_1h`
 * parts) are subsets of it; `output_reasoning_tokens` is a subset of `output_tokens`;
 * `web_searches` counts server-side searches. A key is absent when the provider did not report
 * it: absent is never 0.
 */
export type Usage = Partial<Record<UsageKey, number>>

export type UsageKey =
  | 'input_tokens'
  | 'cache_read_tokens'
  | 'cache_write_tokens'
  | 'cache_write_5m_tokens'
  | 'cache_write_1h_tokens'
  | 'input_tool_tokens'
  | 'output_tokens'
  | 'output_reasoning_tokens'
  | 'web_searches'

/** Sum usages key by key (a key present in any of them is present in the sum). */
export function sumUsage(parts: Usage[]): Usage {
  const out: Usage = {}
  for (const u of parts) for (const k in u) out[k as UsageKey] = (out[k as UsageKey] ?? 0) + (u[k as UsageKey] ?? 0)
  return out
}

/** Keep only the keys that were reported. */
export function compact(u: Record<UsageKey, number | null | undefined>): Usage {
  const out: Usage = {}
  for (const k in u) {
    const v = u[k as UsageKey]
    if (v !== null && v !== undefined) out[k as UsageKey] = v
  }
  return out
}

export const hasTokens = (u: Usage | null): u is Usage =>
  u !== null && (u.input_tokens !== undefined || u.output_tokens !== undefined)

import { calcPrice, type Provider } from '@pydantic/genai-prices'
import type { PriceOverride } from '@tracegate/schemas'

export interface TokenCounts {
  inputTokens: number | null
  outputTokens: number | null
  cacheReadTokens: number | null
  cacheWriteTokens: number | null
}

export interface Cost {
  usd: number | null
  source: 'genai-prices' | 'override' | 'unpriced' | 'no_usage'
}

/**
 * Prices from the bundled genai-prices data (offline), with `prices:` overrides from config for
 * negotiated rates. An unknown model is reported as unpriced, never as free.
 */
export class Pricer {
  private readonly overrides = new Map<string, Provider>()
  /**
   * `pricingId|model` → that provider narrowed to the one matching model (null: unpriced).
   * Matching a model against a provider's whole catalogue is most of calcPrice's cost.
   */
  private readonly matched = new Map<string, Provider | null>()

  constructor(overrides: Record<string, PriceOverride>) {
    for (const [key, p] of Object.entries(overrides)) {
      const model = key.slice(key.indexOf('/') + 1)
      this.overrides.set(key, {
        id: `override:${key}`, name: key, api_pattern: '', models: [{ id: model, match: { equals: model }, prices: stripUndefined(p) }],
      } as Provider)
    }
  }

  price(providerName: string, pricingId: string | undefined, model: string, t: TokenCounts): Cost {
    if (t.inputTokens === null && t.outputTokens === null) return { usd: null, source: 'no_usage' }
    const usage = {
      input_tokens: t.inputTokens ?? 0,
      output_tokens: t.outputTokens ?? 0,
      cache_read_tokens: t.cacheReadTokens ?? 0,
      cache_write_tokens: t.cacheWriteTokens ?? 0,
    }
    const override = this.overrides.get(`${providerName}/${model}`)
    if (override) {
      const r = calcPrice(usage, model, { provider: override })
      if (r) return { usd: r.total_price, source: 'override' }
    }
    if (!pricingId) return { usd: null, source: 'unpriced' }
    try {
      const key = `${pricingId}|${model}`
      const narrowed = this.matched.get(key)
      if (narrowed === null) return { usd: null, source: 'unpriced' }
      const r = calcPrice(usage, model, narrowed ? { provider: narrowed } : { providerId: pricingId })
      if (narrowed === undefined && this.matched.size < 10_000) this.matched.set(key, r ? { ...r.provider, models: [r.model] } : null)
      return r ? { usd: r.total_price, source: 'genai-prices' } : { usd: null, source: 'unpriced' }
    } catch {
      return { usd: null, source: 'unpriced' }
    }
  }
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T
}

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
  source: 'genai-prices' | 'override' | 'unpriced' | 'no_usage' | 'free'
}

type Usage = { input_tokens: number; output_tokens: number; cache_read_tokens: number; cache_write_tokens: number }

/** Dollars per million tokens of each kind, plus a fixed per-request part. */
interface LinearRates { fixed: number; input: number; output: number; cacheRead: number; cacheWrite: number; learntAt: number }

const M = 1_000_000
const RATES_TTL_MS = 3_600_000 // dated price changes are picked up within the hour
const u = (input: number, output: number, cacheRead: number, cacheWrite: number): Usage =>
  ({ input_tokens: input, output_tokens: output, cache_read_tokens: cacheRead, cache_write_tokens: cacheWrite })

function linearCost(r: LinearRates, x: Usage): number {
  return r.fixed + (r.input * (x.input_tokens - x.cache_read_tokens - x.cache_write_tokens) + r.output * x.output_tokens
    + r.cacheRead * x.cache_read_tokens + r.cacheWrite * x.cache_write_tokens) / M
}

/**
 * Learn a model's rates from calcPrice itself, and keep them only if the price really is linear
 * (checked at two more points: tiered or long-context prices fail the check and keep going
 * through calcPrice). Saves the package's per-call work on every span.
 */
function learnRates(calc: (x: Usage) => number): LinearRates | null {
  const fixed = calc(u(0, 0, 0, 0))
  const r: LinearRates = {
    fixed, input: calc(u(M, 0, 0, 0)) - fixed, output: calc(u(0, M, 0, 0)) - fixed,
    cacheRead: calc(u(M, 0, M, 0)) - fixed, cacheWrite: calc(u(M, 0, 0, M)) - fixed, learntAt: Date.now(),
  }
  for (const probe of [u(1_234, 567, 89, 10), u(123_457, 6_789, 23_456, 3_456)]) {
    const want = calc(probe)
    if (Math.abs(linearCost(r, probe) - want) > 1e-9 * Math.max(1, want)) return null
  }
  return r
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
  /** `pricingId|model` → linear rates, or null when the model's price is not linear. */
  private readonly rates = new Map<string, LinearRates | null>()

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
      const rates = this.rates.get(key)
      if (rates && Date.now() - rates.learntAt < RATES_TTL_MS) return { usd: linearCost(rates, usage), source: 'genai-prices' }
      const r = calcPrice(usage, model, narrowed ? { provider: narrowed } : { providerId: pricingId })
      if (narrowed === undefined && this.matched.size < 10_000) this.matched.set(key, r ? { ...r.provider, models: [r.model] } : null)
      if (r && (rates === undefined || rates) && this.rates.size < 10_000) {
        const provider = { ...r.provider, models: [r.model] }
        this.rates.set(key, learnRates((x) => calcPrice(x, model, { provider })?.total_price ?? NaN))
      }
      return r ? { usd: r.total_price, source: 'genai-prices' } : { usd: null, source: 'unpriced' }
    } catch {
      return { usd: null, source: 'unpriced' }
    }
  }
}

/** Models the price data knows, by `pricingId|model` → its own id there (null: not in the data). */
const MAX_KNOWN = 10_000

export class ModelCatalogue {
  private readonly known = new Map<string, string | null>()

  /**
   * The price list's own id for a model the provider was asked for, or null when the list has no
   * such model. Bounded by the price data, however many names clients invent: a metric label.
   */
  id(pricingId: string | undefined, model: string): string | null {
    if (!pricingId || !model) return null
    const key = `${pricingId}|${model}`
    const hit = this.known.get(key)
    if (hit !== undefined) return hit
    let id: string | null = null
    try {
      id = calcPrice(u(1, 1, 0, 0), model, { providerId: pricingId })?.model.id ?? null
    } catch {
      id = null
    }
    if (this.known.size < MAX_KNOWN) this.known.set(key, id)
    return id
  }
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T
}

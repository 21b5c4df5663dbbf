import { calcPrice, type Provider } from '@pydantic/genai-prices'
import type { CostSource, PriceOverride } from '@tracegate/schemas'
import type { Usage, UsageKey } from '../wires/usage-keys.ts'
import { learnLinearPrice, linearCost, LINEAR_KEYS, type LinearPrice } from './linear-price.ts'

export interface Cost {
  usd: number | null
  source: CostSource
  /** Per-call parts of `usd` (web searches), for the span's attributes. */
  webSearchUsd?: number
}

const RATES_TTL_MS = 3_600_000 // dated price changes are picked up within the hour
const MAX_CACHED = 10_000
const linearKeys = new Set<string>(LINEAR_KEYS)

function overrideProvider(key: string, p: PriceOverride): Provider {
  const model = key.slice(key.indexOf('/') + 1)
  const prices = Object.fromEntries(Object.entries(p).filter(([k, v]) => v !== undefined && k !== 'web_fetches_kcount'))
  return {
    id: `override:${key}`,
    name: key,
    api_pattern: '',
    models: [{ id: model, match: { equals: model }, prices }],
  } as Provider
}

/**
 * Prices from the bundled genai-prices data (offline), with `prices:` overrides from config for
 * negotiated rates. An unknown model is reported as unpriced, never as free.
 */
export class Pricer {
  private readonly overrides = new Map<string, { provider: Provider; webFetchPerCall: number }>()
  /**
   * `pricingId|model` → that provider narrowed to the one matching model (null: unpriced).
   * Matching a model against a provider's whole catalogue is most of calcPrice's cost.
   */
  private readonly matched = new Map<string, Provider | null>()
  /** `pricingId|model` → its linear price, or null when the model's price is not linear. */
  private readonly linear = new Map<string, LinearPrice | null>()

  constructor(overrides: Record<string, PriceOverride>) {
    for (const [key, p] of Object.entries(overrides)) {
      this.overrides.set(key, {
        provider: overrideProvider(key, p),
        webFetchPerCall: (p.web_fetches_kcount ?? 0) / 1000,
      })
    }
  }

  private readonly windows = new Map<string, number | undefined>()

  /** The model's context window (input and output together) from the price data, when it has one. */
  contextWindow(providerName: string, pricingId: string | undefined, model: string): number | undefined {
    const key = `${providerName}|${pricingId}|${model}`
    if (this.windows.has(key)) return this.windows.get(key)
    const override = this.overrides.get(`${providerName}/${model}`)
    const opts = override ? { provider: override.provider } : pricingId ? { providerId: pricingId } : null
    const window = opts ? safeCalc({ input_tokens: 1, output_tokens: 1 }, model, opts)?.model.context_window : undefined
    remember(this.windows, key, window)
    return window
  }

  /** Web fetches: not in the price data (Anthropic charges nothing beyond their tokens) unless config says so. */
  webFetchCost(providerName: string, model: string, fetches: number): number {
    return fetches * (this.overrides.get(`${providerName}/${model}`)?.webFetchPerCall ?? 0)
  }

  price(providerName: string, pricingId: string | undefined, model: string, usage: Usage | null): Cost {
    if (!usage || (usage.input_tokens === undefined && usage.output_tokens === undefined))
      return { usd: null, source: 'no_usage' }
    const full = { input_tokens: 0, output_tokens: 0, ...usage }
    const override = this.overrides.get(`${providerName}/${model}`)
    if (override) {
      const r = safeCalc(full, model, { provider: override.provider })
      if (r) return { usd: r.total_price, source: 'override' }
    }
    if (!pricingId) return { usd: null, source: 'unpriced' }
    const key = `${pricingId}|${model}`
    const narrowed = this.matched.get(key)
    if (narrowed === null) return { usd: null, source: 'unpriced' }
    let fast = this.linear.get(key)
    if (fast === undefined || (fast && Date.now() - fast.learntAt >= RATES_TTL_MS)) {
      const r = safeCalc(full, model, narrowed ? { provider: narrowed } : { providerId: pricingId })
      if (narrowed === undefined) remember(this.matched, key, r ? { ...r.provider, models: [r.model] } : null)
      if (!r) return { usd: null, source: 'unpriced' }
      fast = this.learn(key, model, { ...r.provider, models: [r.model] })
      if (!fast) return { usd: r.total_price, source: 'genai-prices', ...this.searchPart(full, model, r) }
    }
    // Once learnt, every call prices through the same function: the same usage always costs the same.
    if (fast && Object.keys(full).every((k) => linearKeys.has(k)))
      return { usd: linearCost(fast, full), source: 'genai-prices', webSearchUsd: webSearchPart(fast, full) }
    const provider = this.matched.get(key)
    const r = safeCalc(full, model, provider ? { provider } : { providerId: pricingId })
    return r
      ? { usd: r.total_price, source: 'genai-prices', ...this.searchPart(full, model, r) }
      : { usd: null, source: 'unpriced' }
  }

  /** The web searches' share of a price calcPrice computed (the linear path has it as a coefficient). */
  private searchPart(
    full: Usage,
    model: string,
    r: NonNullable<ReturnType<typeof calcPrice>>,
  ): { webSearchUsd?: number } {
    if (!full.web_searches) return {}
    const without =
      safeCalc({ ...full, web_searches: 0 }, model, { provider: r.provider })?.total_price ?? r.total_price
    return { webSearchUsd: r.total_price - without }
  }

  /** A price that changes with the time of day (peak and off-peak) is never learnt: it is not one function. */
  private learn(key: string, model: string, provider: Provider): LinearPrice | null {
    const timeOfDay = provider.models.some(
      (m) => Array.isArray(m.prices) && m.prices.some((c) => c.constraint?.type === 'time_of_date'),
    )
    const learnt = timeOfDay
      ? null
      : learnLinearPrice((u) => safeCalc(u, model, { provider })?.total_price ?? Number.NaN)
    remember(this.linear, key, learnt)
    return learnt
  }
}

/** Cache a value; a full cache still refreshes keys it holds (an expired price), it only refuses new ones. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (map.has(key) || map.size < MAX_CACHED) map.set(key, value)
}

function webSearchPart(p: LinearPrice, u: Usage): number | undefined {
  return u.web_searches ? (p.coef.web_searches ?? 0) * u.web_searches : undefined
}

/** calcPrice, with a usage it refuses (inconsistent counts) or a model it cannot price as null. */
function safeCalc(u: Usage, model: string, opts: Parameters<typeof calcPrice>[2]): ReturnType<typeof calcPrice> {
  try {
    return calcPrice(u as Record<UsageKey, number>, model, opts)
  } catch {
    return null
  }
}

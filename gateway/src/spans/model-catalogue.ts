import { calcPrice } from '@pydantic/genai-prices'

/** Models the price data knows, by `pricingId|model` → its own id there (null: not in the data). */
const MAX_KNOWN = 10_000
/** Past the cache, an invented name is labelled `other` without a catalogue search per row. */
const UNKNOWN = null

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
    if (this.known.size >= MAX_KNOWN) return UNKNOWN
    let id: string | null
    try {
      id = calcPrice({ input_tokens: 1, output_tokens: 1 }, model, { providerId: pricingId })?.model.id ?? null
    } catch {
      id = null
    }
    this.known.set(key, id)
    return id
  }
}

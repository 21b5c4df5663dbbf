import type { Config } from '@tracegate/schemas'
import type { ProviderRegistry } from '../providers/registry.ts'
import type { ModelRouter } from '../routing/resolve.ts'
import { ModelCatalogue } from '../spans/model-catalogue.ts'

/** Routes a span can name: the templates, never a client's raw path. */
const ROUTES = new Set([
  '/v1/chat/completions',
  '/v1/completions',
  '/v1/embeddings',
  '/v1/responses',
  '/v1/messages',
  '/v1/messages/count_tokens',
  '/v1/models',
  '/p/{provider}/*',
])
const OTHER = 'other'

/**
 * Prometheus label values from bounded sets only: a label per client-chosen model name or path
 * would let callers grow /metrics (and the scraper's memory) without limit. Providers are the
 * configured ones, models the configured aliases and targets or those the price data knows (by
 * its own id), routes their templates, statuses their class; anything else is `other`.
 */
export class MetricLabels {
  private readonly providers: Set<string>
  private readonly models: Set<string>
  private readonly catalogue = new ModelCatalogue()

  constructor(
    config: Config,
    private readonly registry: ProviderRegistry,
    router: ModelRouter,
  ) {
    this.providers = new Set(registry.names())
    this.models = new Set(config.models.map((m) => m.name))
    for (const { targets } of router.aliasTargets()) for (const t of targets) this.models.add(t.model)
    for (const key of Object.keys(config.prices)) this.models.add(key.slice(key.indexOf('/') + 1))
  }

  provider(name: string): string {
    return name === '' || this.providers.has(name) ? name : OTHER
  }

  model(provider: string, model: string): string {
    if (model === '' || this.models.has(model)) return model
    return this.catalogue.id(this.registry.get(provider)?.pricingId, model) ?? OTHER
  }

  route(route: string): string {
    return ROUTES.has(route) ? route : OTHER
  }

  /** 2xx, 4xx, 5xx; 0 (no answer at all) stays 0. */
  status(code: number): string {
    return code > 0 ? `${Math.floor(code / 100)}xx` : '0'
  }
}

import { RoutingPolicySchema, type Config, type ModelAlias, type RoutingPolicy } from '@tracegate/schemas'
import type { ProviderAdapter } from '../providers/types.ts'
import type { ProviderRegistry } from '../providers/registry.ts'
import { GatewayError } from '../errors.ts'

export interface Target {
  adapter: ProviderAdapter
  /** The model name the upstream is sent. */
  model: string
  weight: number
}

/** Where a request may go and how hard to try: the targets and the policy the proxy walks them with. */
export interface RoutePlan {
  requestedModel: string
  alias: ModelAlias | undefined
  targets: Target[]
  policy: RoutingPolicy
}

/**
 * A model named directly (not an alias) has one target and is not retried by default: the
 * official SDKs retry on their own, and stacking both multiplies the load on a failing provider.
 */
const DIRECT_POLICY: RoutingPolicy = RoutingPolicySchema.parse({ retries: 0 })

export class ModelRouter {
  private readonly aliases: Map<string, { alias: ModelAlias; targets: Target[] }>

  constructor(config: Config, private readonly providers: ProviderRegistry) {
    this.aliases = new Map(config.models.map((alias) => [alias.name, { alias, targets: alias.targets.map((t) => this.target(t.provider, t.model, t.weight)) }]))
  }

  private target(provider: string, model: string, weight = 1): Target {
    const adapter = this.providers.get(provider)
    if (!adapter) throw new GatewayError('unknown_provider', `provider "${provider}" is not configured (it needs a base_url)`)
    return { adapter, model, weight }
  }

  /** alias → `provider/model` → the default provider with the model unchanged. */
  resolve(model: string, defaultProvider: string): RoutePlan {
    const hit = this.aliases.get(model)
    if (hit) return { requestedModel: model, alias: hit.alias, targets: hit.targets, policy: hit.alias }
    const slash = model.indexOf('/')
    if (slash > 0) {
      const adapter = this.providers.get(model.slice(0, slash))
      if (adapter) return { requestedModel: model, alias: undefined, targets: [{ adapter, model: model.slice(slash + 1), weight: 1 }], policy: DIRECT_POLICY }
    }
    return { requestedModel: model, alias: undefined, targets: [this.target(defaultProvider, model)], policy: DIRECT_POLICY }
  }

  /** A plan for the raw `/p/{provider}/…` route: that provider, model as sent. */
  direct(provider: string, model: string): RoutePlan {
    const adapter = this.providers.get(provider)
    if (!adapter) throw new GatewayError('unknown_provider', `unknown provider "${provider}"`)
    return { requestedModel: model, alias: undefined, targets: [{ adapter, model, weight: 1 }], policy: DIRECT_POLICY }
  }

  aliasNames(): string[] {
    return [...this.aliases.keys()]
  }

  aliasTargets(): Array<{ alias: string; targets: Target[] }> {
    return [...this.aliases.entries()].map(([alias, v]) => ({ alias, targets: v.targets }))
  }
}

import {
  RoutingPolicySchema,
  isTargetGroup,
  type Config,
  type ModelAlias,
  type ModelTarget,
  type RoutingPolicy,
  type TargetGroup,
} from '@tracegate/schemas'
import type { ProviderAdapter } from '../providers/types.ts'
import type { ProviderRegistry } from '../providers/registry.ts'
import { GatewayError } from '../errors.ts'

export interface Target {
  adapter: ProviderAdapter
  /** The model name the upstream is sent. */
  model: string
  weight: number
  /** `provider/model`: how cooldowns and events name the target (built once, not per attempt). */
  key: string
}

const makeTarget = (adapter: ProviderAdapter, model: string, weight = 1): Target => ({
  adapter,
  model,
  weight,
  key: `${adapter.name}/${model}`,
})

/** An alias's shadow targets and which of its requests go to them too (shadow/). */
export interface ShadowPlan {
  targets: Target[]
  sample: number
  match: { workflow?: string[]; team?: string[] }
}

/** A nested pool of targets with its own strategy. */
export interface RouteGroup {
  strategy: 'fallback' | 'loadbalance'
  weight: number
  children: RouteNode[]
}
export type RouteNode = Target | RouteGroup
export const isGroup = (n: RouteNode): n is RouteGroup => 'children' in n

/** Where a request may go and how hard to try: the targets and the policy the proxy walks them with. */
export interface RoutePlan {
  requestedModel: string
  alias: ModelAlias | undefined
  /** The targets as configured, groups included; the top level follows `policy.strategy`. */
  tree: RouteNode[]
  /** Every target of the tree, in configuration order. */
  targets: Target[]
  policy: RoutingPolicy
  /** The alias's shadow targets, when it has some. */
  shadow?: ShadowPlan
}

export const leaves = (nodes: RouteNode[]): Target[] => nodes.flatMap((n) => (isGroup(n) ? leaves(n.children) : [n]))

/**
 * A model named directly (not an alias) has one target and is not retried by default: the
 * official SDKs retry on their own, and stacking both multiplies the load on a failing provider.
 */
const DIRECT_POLICY: RoutingPolicy = RoutingPolicySchema.parse({ retries: 0 })

const direct = (target: Target, requestedModel: string): RoutePlan => ({
  requestedModel,
  alias: undefined,
  tree: [target],
  targets: [target],
  policy: DIRECT_POLICY,
})

export class ModelRouter {
  private readonly aliases: Map<
    string,
    { alias: ModelAlias; tree: RouteNode[]; targets: Target[]; shadow: ShadowPlan | undefined }
  >

  constructor(
    config: Config,
    private readonly providers: ProviderRegistry,
  ) {
    this.aliases = new Map(
      config.models.map((alias) => {
        const tree = alias.targets.map((t) => this.node(t))
        return [alias.name, { alias, tree, targets: leaves(tree), shadow: this.shadow(alias) }]
      }),
    )
  }

  private node(t: ModelTarget | TargetGroup): RouteNode {
    if (isTargetGroup(t))
      return { strategy: t.strategy, weight: t.weight, children: t.targets.map((c) => this.node(c)) }
    return this.target(t.provider, t.model, t.weight)
  }

  private shadow(alias: ModelAlias): ShadowPlan | undefined {
    const s = alias.shadow
    if (!s) return undefined
    return { targets: s.targets.map((t) => this.target(t.provider, t.model)), sample: s.sample, match: s.match }
  }

  private target(provider: string, model: string, weight = 1): Target {
    const adapter = this.providers.get(provider)
    if (!adapter)
      throw new GatewayError('unknown_provider', `provider "${provider}" is not configured (it needs a base_url)`)
    return makeTarget(adapter, model, weight)
  }

  /** alias → `provider/model` → the default provider with the model unchanged. */
  resolve(model: string, defaultProvider: string): RoutePlan {
    const hit = this.aliases.get(model)
    if (hit) {
      const { alias, tree, targets, shadow } = hit
      return { requestedModel: model, alias, tree, targets, policy: alias, shadow }
    }
    const slash = model.indexOf('/')
    if (slash > 0) {
      const adapter = this.providers.get(model.slice(0, slash))
      if (adapter) return direct(makeTarget(adapter, model.slice(slash + 1)), model)
    }
    return direct(this.target(defaultProvider, model), model)
  }

  /** A plan for the raw `/p/{provider}/…` route: that provider, model as sent. */
  direct(provider: string, model: string): RoutePlan {
    const adapter = this.providers.get(provider)
    if (!adapter) throw new GatewayError('unknown_provider', `unknown provider "${provider}"`)
    return direct(makeTarget(adapter, model), model)
  }

  aliasTargets(): Array<{ alias: string; targets: Target[] }> {
    // Shadow targets too: they are called, and metrics and checks name them.
    return [...this.aliases.entries()].map(([alias, v]) => ({
      alias,
      targets: v.shadow ? [...v.targets, ...v.shadow.targets] : v.targets,
    }))
  }
}

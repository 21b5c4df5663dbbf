import type { CheckAlias, CheckFacts, CheckLimit, CheckProvider, Config, Limits } from '@tracegate/schemas'
import type { ProviderRegistry } from '../providers/registry.ts'
import type { ModelRouter, RoutePlan } from '../routing/resolve.ts'
import type { Pricer } from '../spans/pricing.ts'
import type { KeyDirectory } from '../keys/directory.ts'
import { worstCase } from '../limits/estimate.ts'
import { limitedScopes } from '../limits/enforcer.ts'
import { listProviderModels, type ModelList } from './provider-models.ts'
import { isEmbeddingModel, LARGEST_PROBE_BYTES, PROBE_MAX_TOKENS } from './probe-requests.ts'

export interface CheckDeps {
  config: Config
  router: ModelRouter
  providers: ProviderRegistry
  pricer: Pricer
  directory: KeyDirectory
  adminToken: string | undefined
}

/** The providers the config uses: those it configures and those its aliases send to, not every built-in. */
function usedProviders(deps: CheckDeps): string[] {
  const names = new Set(Object.keys(deps.config.providers))
  for (const { targets } of deps.router.aliasTargets()) for (const t of targets) names.add(t.adapter.name)
  return [...names].filter((n) => deps.providers.get(n))
}

function alias(deps: CheckDeps, name: string, lists: Map<string, ModelList>): CheckAlias {
  const plan: RoutePlan = deps.router.resolve(name, deps.config.default_provider)
  const policy = plan.policy
  // A probe's worst cost as the gateway reserves it before forwarding: its body size and its output cap.
  const probe = { model: name, stream: false, clientAskedUsage: false, json: { max_tokens: PROBE_MAX_TOKENS } }
  const unpriced = plan.targets.filter(
    (t) =>
      deps.pricer.price(t.adapter.name, t.adapter.pricingId, t.model, { input_tokens: 1, output_tokens: 1 }).usd ===
      null,
  )
  return {
    name,
    strategy: policy.strategy,
    retries: policy.retries,
    fallback_on: policy.fallback_on,
    embedding: plan.targets.every((t) => isEmbeddingModel(t.model)),
    probe_usd: worstCase(deps.pricer, plan, probe, LARGEST_PROBE_BYTES, undefined).costUsd,
    unpriced: unpriced.map((t) => t.key),
    targets: plan.targets.map((t) => {
      const list = lists.get(t.adapter.name)
      return { provider: t.adapter.name, model: t.model, offered: list?.ok ? list.ids.has(t.model) : null }
    }),
  }
}

function limit(kind: CheckLimit['kind'], name: string, l: Limits): CheckLimit {
  return {
    kind,
    name,
    budget_usd: l.budget_usd ?? null,
    budget_period: l.budget_period,
    rpm: l.rpm ?? null,
    tpm: l.tpm ?? null,
    soft_budget_usd: l.soft_budget_usd ?? null,
    max_parallel: l.max_parallel ?? null,
  }
}

/** Keys, teams and users (config and API alike) with any limit the enforcer applies. */
const limits = (directory: KeyDirectory): CheckLimit[] =>
  limitedScopes(directory).map(({ kind, name, limits }) => limit(kind, name, limits))

/** What the checklist is walked against: model lists read now, the rest from the running config. */
export async function checkFacts(deps: CheckDeps): Promise<CheckFacts> {
  const names = usedProviders(deps)
  const read = await Promise.all(names.map((n) => listProviderModels(deps.providers.get(n)!)))
  const lists = new Map(names.map((n, i) => [n, read[i]!]))
  const providers: CheckProvider[] = names.map((name) => {
    const l = lists.get(name)!
    return { name, listed: l.ok, models: l.ok ? l.ids.size : 0, error: l.ok ? null : l.error }
  })
  return {
    providers,
    aliases: deps.router.aliasTargets().map((a) => alias(deps, a.alias, lists)),
    limits: limits(deps.directory),
    fault_injection: Boolean(deps.adminToken),
    probe_max_tokens: PROBE_MAX_TOKENS,
  }
}

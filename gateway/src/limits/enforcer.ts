import type { Config, Limits, ScopeUsage } from '@tracegate/schemas'
import type { KeyIdentity } from '../keys/authenticate.ts'
import type { KeyDirectory, KeyRecord } from '../keys/directory.ts'
import type { RoutePlan } from '../routing/resolve.ts'
import type { RequestFacts } from '../wires/types.ts'
import type { Pricer } from '../spans/pricing.ts'
import { GatewayError } from '../errors.ts'
import { wallNowMs } from '../clock.ts'
import { Periods } from './periods.ts'
import { worstCase } from './estimate.ts'
import { standingHeaders, refusalError } from './answers.ts'
import { tracksSpend, type Admission, type Lease, type LimitsStore, type Scope } from './types.ts'
import type { SpendScope } from '../storage/spend-queries.ts'

const hasLimits = (l: Limits) =>
  tracksSpend(l) || l.rpm !== undefined || l.tpm !== undefined || l.max_parallel !== undefined

/** Every key, team and user (config and API alike) whose limits pass `keep`. */
export function limitedScopes(
  directory: KeyDirectory,
  keep: (l: Limits) => boolean = hasLimits,
): Array<{ kind: SpendScope; name: string; limits: Limits }> {
  const out: Array<{ kind: SpendScope; name: string; limits: Limits }> = []
  for (const k of directory.listKeys()) if (keep(k)) out.push({ kind: 'key', name: k.name, limits: k })
  for (const t of directory.listTeams()) if (keep(t)) out.push({ kind: 'team', name: t.name, limits: t })
  for (const u of directory.userNames()) {
    const l = directory.user(u)
    if (l && keep(l)) out.push({ kind: 'user', name: u, limits: l })
  }
  return out
}

/** `*` matches anything within a model name; everything else is literal. */
function globMatcher(patterns: string[]): (name: string) => boolean {
  const res = patterns.map((p) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`))
  return (name) => res.some((r) => r.test(name))
}

export interface Granted {
  lease: Lease
  reservedUsd: number
  headers: Record<string, string>
}

/**
 * Budgets, rate limits and key rules, checked before a request is forwarded: the request's key,
 * team and user are each a scope, and the request is held against all of them at once for the
 * most it can cost; the recorder settles it at what it did cost. A caller nothing limits passes
 * through without an estimate or a store call.
 */
export class Enforcer {
  /** A key record's model matcher, made once per record (a reread makes new records). */
  private readonly matchers = new WeakMap<KeyRecord, (name: string) => boolean>()
  private readonly periods: Periods

  constructor(
    private readonly config: Config,
    private readonly directory: KeyDirectory,
    private readonly store: LimitsStore,
    private readonly pricer: Pricer,
  ) {
    this.periods = new Periods(config.limits.time_zone)
  }

  /** Throws the request's refusal; null when nothing limits it. A promise only when the store is remote. */
  admit(
    identity: KeyIdentity,
    plan: RoutePlan,
    request: RequestFacts,
    bodyBytes: number,
  ): Granted | null | Promise<Granted> {
    const now = wallNowMs()
    const key = identity.gateway ? this.directory.keyByName(identity.keyName) : undefined
    if (key) this.checkKey(key, plan, now)
    const scopes = this.scopes(identity, key, now)
    if (!scopes.length) return null
    const estimate = worstCase(this.pricer, plan, request, bodyBytes, this.config.limits.default_max_output_tokens)
    const finish = (a: Admission): Granted => {
      if (!a.ok) throw refusalError(a.refusal, now)
      return { lease: a.lease, reservedUsd: estimate.costUsd, headers: standingHeaders(a.standing) }
    }
    const admission = this.store.admit({ scopes, costUsd: estimate.costUsd, tokens: estimate.tokens, now })
    return admission instanceof Promise ? admission.then(finish) : finish(admission)
  }

  private checkKey(key: KeyRecord, plan: RoutePlan, now: number): void {
    if (key.expires_at && Date.parse(key.expires_at) <= now)
      throw new GatewayError('expired_api_key', `the tracegate key "${key.name}" expired at ${key.expires_at}`)
    if (!key.models) return
    let allowed = this.matchers.get(key)
    if (!allowed) this.matchers.set(key, (allowed = globMatcher(key.models)))
    if (allowed(plan.requestedModel)) return
    if (plan.targets.length && plan.targets.every((t) => allowed(t.key))) return
    throw new GatewayError(
      'model_not_allowed',
      `the tracegate key "${key.name}" may not use model "${plan.requestedModel.slice(0, 200)}"`,
      'model',
    )
  }

  private scopes(identity: KeyIdentity, key: KeyRecord | undefined, now: number): Scope[] {
    const out: Scope[] = []
    const add = (kind: string, name: string, limits: Limits | undefined) => {
      if (!name || !limits || !hasLimits(limits)) return
      out.push({
        id: `${kind}:${name}`,
        label: `${kind} ${name}`,
        limits,
        period: this.periods.of(now, limits.budget_period),
      })
    }
    if (key) add('key', identity.keyName, key)
    add('team', identity.team, this.directory.team(identity.team))
    add('user', identity.user, this.directory.user(identity.user))
    return out
  }

  /**
   * Every budget's spend so far this period, from the recorded spans: a restart or a deploy never
   * hands a key, team or user a fresh budget. Scopes with the same kind and period are one read.
   */
  async rebuildSpend(
    read: (kind: SpendScope, names: string[], since: number, until: number) => Promise<Map<string, number>>,
  ) {
    const now = wallNowMs()
    const groups = new Map<string, { kind: SpendScope; since: number; until: number; names: string[] }>()
    for (const { kind, name, limits } of limitedScopes(this.directory, tracksSpend)) {
      const { start: since, end: until } = this.periods.of(now, limits.budget_period)
      const g = groups.get(`${kind}|${since}`) ?? { kind, since, until, names: [] }
      g.names.push(name)
      groups.set(`${kind}|${since}`, g)
    }
    let scopes = 0
    for (const g of groups.values()) {
      for (const [name, usd] of await read(g.kind, g.names, g.since, g.until)) {
        await this.store.seedSpend(`${g.kind}:${name}`, { start: g.since, end: g.until }, usd)
        scopes++
      }
    }
    return scopes
  }

  /** Every key, team and user with limits, and how much of each it uses now. */
  async usage(): Promise<ScopeUsage[]> {
    const now = wallNowMs()
    const named = limitedScopes(this.directory)
    const scopes = named.map(({ kind, name, limits }) => ({
      id: `${kind}:${name}`,
      label: `${kind} ${name}`,
      limits,
      period: this.periods.of(now, limits.budget_period),
    }))
    const counts = await this.store.usage(scopes, now)
    return named.map(({ kind, name, limits: l }, i) => {
      const c = counts[i]!
      const end = scopes[i]!.period.end
      return {
        kind,
        name,
        budget_usd: l.budget_usd ?? null,
        budget_period: l.budget_period,
        soft_budget_usd: l.soft_budget_usd ?? null,
        spent_usd: c.spentUsd,
        held_usd: c.heldUsd,
        resets_at: tracksSpend(l) && Number.isFinite(end) ? new Date(end).toISOString() : null,
        rpm: l.rpm ?? null,
        rpm_used: c.requests,
        tpm: l.tpm ?? null,
        tpm_used: c.tokens,
        max_parallel: l.max_parallel ?? null,
        parallel_open: c.parallel,
      }
    })
  }
}

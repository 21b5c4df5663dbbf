import type { FastifyInstance } from 'fastify'
import type { BudgetPeriod, Limits, LimitsUsageResponse, ScopeUsage } from '@tracegate/schemas'
import type { KeyDirectory } from '../keys/directory.ts'
import { periodOf } from '../limits/periods.ts'
import { spendIn, type SpendScope } from '../storage/spend-queries.ts'
import type { Store } from '../storage/client.ts'
import { adminGuard } from './admin-auth.ts'
import { fromStore } from './storage-errors.ts'

interface Named extends Limits {
  name: string
}

/**
 * Settled spend this period per scope, read from the spans: one query per kind and budget period.
 * Stopgap until the enforcer answers its own live state: what open requests hold and the rate
 * limits' use are not known here and read as 0.
 */
async function usageOf(
  store: Store,
  kind: SpendScope,
  scopes: Named[],
  now: number,
  tz: string,
): Promise<ScopeUsage[]> {
  const byPeriod = new Map<BudgetPeriod, Named[]>()
  for (const s of scopes) byPeriod.set(s.budget_period, [...(byPeriod.get(s.budget_period) ?? []), s])
  const out: ScopeUsage[] = []
  for (const [period, list] of byPeriod) {
    const { start, end } = periodOf(now, period, tz)
    const spent = await spendIn(
      store,
      kind,
      list.map((s) => s.name),
      start,
      end,
    )
    for (const s of list)
      out.push({
        kind,
        name: s.name,
        budget_usd: s.budget_usd ?? null,
        budget_period: period,
        soft_budget_usd: s.soft_budget_usd ?? null,
        spent_usd: spent.get(s.name) ?? 0,
        held_usd: 0,
        resets_at: Number.isFinite(end) ? new Date(end).toISOString() : null,
        rpm: s.rpm ?? null,
        rpm_used: 0,
        tpm: s.tpm ?? null,
        tpm_used: 0,
        max_parallel: s.max_parallel ?? null,
        parallel_open: 0,
      })
  }
  return out.sort((a, b) => a.name.localeCompare(b.name))
}

/** `GET /api/limits/usage` (admin token): every key's, team's and configured user's spend against its budget. */
export async function limitsUsageApi(
  app: FastifyInstance,
  opts: { store: Store; directory: KeyDirectory; timeZone: string; adminToken: string | undefined },
): Promise<void> {
  const { store, directory, timeZone } = opts
  app.addHook('onRequest', adminGuard(opts.adminToken))
  app.get('/api/limits/usage', async (req): Promise<LimitsUsageResponse> => {
    const now = Date.now()
    const users = directory.userNames().map((name) => ({ ...directory.user(name)!, name }))
    const [keys, teams, people] = await fromStore(
      req,
      Promise.all([
        usageOf(store, 'key', directory.listKeys(), now, timeZone),
        usageOf(store, 'team', directory.listTeams(), now, timeZone),
        usageOf(store, 'user', users, now, timeZone),
      ]),
    )
    return { scopes: [...keys, ...teams, ...people] }
  })
}

import type { Logger } from 'pino'
import { Gauge, type Registry } from 'prom-client'
import type { Config } from '@tracegate/schemas'
import type { Store } from '../storage/client.ts'
import type { Pricer } from '../spans/pricing.ts'
import { spendIn } from '../storage/spend-queries.ts'
import { KeyDirectory } from '../keys/directory.ts'
import { Enforcer } from './enforcer.ts'
import { FailoverLimits } from './failover-store.ts'
import { MemoryLimits } from './memory-store.ts'
import { SoftBudgets } from './soft-budgets.ts'
import type { LimitsStore } from './types.ts'

/** Spend controls as the gateway runs them: keys and teams, the enforcer and its store, soft budgets. */
export interface StartedLimits {
  directory: KeyDirectory
  limits: Enforcer
  softBudgets: SoftBudgets
  /** The shared store's failover, when there is a shared store (limits.redis_url). */
  failover: FailoverLimits | null
  /** Stop the timers (key rereads, soft-budget checks); the store stays open for the last settlements. */
  stop(): void
  closeStore(): Promise<void>
}

/** Redis's client is loaded only when configured: ioredis alone costs ~15 MB of RSS. */
async function openLimitsStore(config: Config, log: Logger): Promise<LimitsStore> {
  const { redis_url, on_store_error, replicas } = config.limits
  if (!redis_url) return new MemoryLimits()
  const { RedisLimits } = await import('./redis-store.ts')
  return new FailoverLimits(new RedisLimits(redis_url), on_store_error, replicas, log)
}

/**
 * Budgets start from the spend their period already has in the spans. Storage that cannot answer
 * does not stop the gateway: budgets then start from zero, and the log says so.
 */
async function rebuildBudgets(limits: Enforcer, store: Store, log: Logger): Promise<void> {
  try {
    const n = await limits.rebuildSpend((kind, names, since, until) => spendIn(store, kind, names, since, until))
    if (n) log.info({ scopes: n }, 'budgets rebuilt from the spend recorded this period')
  } catch (err) {
    log.warn({ err }, "could not read this period's spend from storage: budgets start from zero")
  }
}

function gauges(registry: Registry, soft: SoftBudgets, failover: FailoverLimits | null): void {
  new Gauge({
    name: 'tracegate_soft_budgets_reached',
    help: 'Keys, teams and users whose spend this period has reached their soft budget (limits.soft_budget_check_s)',
    registers: [registry],
    collect() {
      this.set(soft.over)
    },
  })
  new Gauge({
    name: 'tracegate_limits_store_up',
    help: 'The shared limits store (Redis) answers: 1, or 0 while limits.on_store_error applies (1 without Redis)',
    registers: [registry],
    collect() {
      this.set(failover && failover.failingSince !== null ? 0 : 1)
    },
  })
}

export async function startLimits(
  config: Config,
  store: Store,
  pricer: Pricer,
  log: Logger,
  registry: Registry,
): Promise<StartedLimits> {
  const limitsStore = await openLimitsStore(config, log)
  const failover = limitsStore instanceof FailoverLimits ? limitsStore : null
  const directory = new KeyDirectory(config, store, log)
  await directory.start()
  const limits = new Enforcer(config, directory, limitsStore, pricer)
  const softBudgets = new SoftBudgets(() => limits.usage(), log, config.limits.soft_budget_check_s * 1000)
  softBudgets.start()
  gauges(registry, softBudgets, failover)
  await rebuildBudgets(limits, store, log)
  return {
    directory,
    limits,
    softBudgets,
    failover,
    stop() {
      directory.close()
      softBudgets.close()
    },
    closeStore: async () => {
      await limitsStore.close?.()
    },
  }
}

import type { Logger } from 'pino'
import type { ScopeUsage } from '@tracegate/schemas'

/**
 * Soft budgets refuse nothing: when a key's, team's or user's spend this period reaches its soft
 * budget, the gateway says so once per period (a warning in the log, and the count of scopes over
 * their soft budget as a gauge, for Prometheus alerting), and the explorer shows it.
 */
export class SoftBudgets {
  /** `kind:name` → the reset time of the period already reported. */
  private readonly reported = new Map<string, string | null>()
  private timer: NodeJS.Timeout | null = null
  over = 0
  /** Told once a period for each scope that reaches its soft budget. */
  onReached: (s: ScopeUsage) => void = () => undefined

  constructor(
    private readonly usage: () => Promise<ScopeUsage[]>,
    private readonly log: Logger,
    private readonly everyMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.check().catch(() => undefined), this.everyMs)
    this.timer.unref()
  }

  close(): void {
    if (this.timer) clearInterval(this.timer)
  }

  async check(): Promise<void> {
    const scopes = (await this.usage()).filter((s) => s.soft_budget_usd !== null && s.spent_usd >= s.soft_budget_usd)
    this.over = scopes.length
    for (const s of scopes) {
      const id = `${s.kind}:${s.name}`
      if (this.reported.has(id) && this.reported.get(id) === s.resets_at) continue
      this.reported.set(id, s.resets_at)
      this.log.warn(
        {
          scope: s.kind,
          name: s.name,
          spent_usd: s.spent_usd,
          soft_budget_usd: s.soft_budget_usd,
          budget_usd: s.budget_usd,
          resets_at: s.resets_at,
        },
        'soft budget reached',
      )
      this.onReached(s)
    }
  }
}

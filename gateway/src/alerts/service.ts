import type { AlertRule, AlertScope, AlertState, AlertsConfig, SystemAlertMetric } from '@tracegate/schemas'
import type { Logger } from 'pino'
import type { Store } from '../storage/client.ts'
import { Evaluator } from './evaluator.ts'
import { lastStates } from './history.ts'
import { Notifier } from './notifier.ts'
import { AlertRules } from './rules.ts'

/**
 * Alerts as the gateway runs them: the rules, and (with `alerts.evaluate`) the evaluator and the
 * notifier. A gateway that does not evaluate still serves the rules, history and delivery log.
 */
export class Alerts {
  readonly rules: AlertRules
  private readonly notifier: Notifier
  private readonly evaluator: Evaluator | null

  constructor(
    private readonly store: Store,
    readonly config: AlertsConfig,
    log: Logger,
    private readonly explorerUrl: () => string,
  ) {
    const alog = log.child({ component: 'alerts' })
    this.rules = new AlertRules(store, config, alog)
    this.notifier = new Notifier(config.webhooks, store, alog)
    this.evaluator = config.evaluate
      ? new Evaluator(store, config, () => this.rules.all(), this.notifier, explorerUrl, alog)
      : null
  }

  async start(): Promise<void> {
    await this.evaluator?.start()
  }

  /** Current states: this gateway's own when it evaluates, else as the last events left them. */
  async states(rules: AlertRule[]): Promise<AlertState[]> {
    if (this.evaluator) return this.evaluator.current(rules)
    const last = await lastStates(this.store)
    return rules.map((r) => {
      const s = last.get(r.id)
      return {
        rule_id: r.id,
        rule_name: r.name,
        state: s?.status ?? 'ok',
        since: s?.since != null ? new Date(s.since).toISOString() : null,
        value: null,
        threshold: r.threshold,
        evaluated_at: null,
      }
    })
  }

  /**
   * A notice from the gateway itself (limits store down or back, a soft budget reached) to the
   * `alerts.system_notify` webhooks: signed, retried and logged like a rule's notification.
   */
  notifySystem(n: {
    id: string
    name: string
    metric: SystemAlertMetric
    scope?: AlertScope
    state: 'firing' | 'resolved'
    value: number | null
    threshold: number
    since: number
  }): void {
    if (!this.config.system_notify.length) return
    const at = new Date().toISOString()
    this.notifier.send(this.config.system_notify, {
      type: 'tracegate.alert',
      rule: { id: n.id, name: n.name },
      metric: n.metric,
      scope: n.scope ?? {},
      state: n.state,
      value: n.value,
      threshold: n.threshold,
      window_minutes: 0,
      since: new Date(n.since).toISOString(),
      at,
      url: this.explorerUrl(),
    })
  }

  async close(): Promise<void> {
    await this.evaluator?.close()
    await this.notifier.close()
  }
}

import type { AlertRule, AlertState, AlertsConfig } from '@tracegate/schemas'
import type { Logger } from 'pino'
import { wallNowMs } from '../clock.ts'
import type { Store } from '../storage/client.ts'
import { lastStates, recordEvent } from './history.ts'
import { measure } from './measure.ts'
import type { Notifier } from './notifier.ts'
import { OK, step, type RuleState } from './state.ts'

interface Current extends RuleState {
  value: number | null
  evaluatedAt: number | null
}

/**
 * Evaluates every rule on a timer (one evaluation at a time, never overlapping), records each
 * state change as an event and hands firing and resolved ones to the notifier. Storage failures
 * skip a round and are logged once per outage; nothing here throws into the gateway.
 */
export class Evaluator {
  private readonly states = new Map<string, Current>()
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private stopped = false
  private failing = false

  constructor(
    private readonly store: Store,
    private readonly config: AlertsConfig,
    private readonly rules: () => Promise<AlertRule[]>,
    private readonly notifier: Notifier,
    private readonly explorerUrl: () => string,
    private readonly log: Logger,
  ) {}

  /** Rebuild the states from history, then evaluate now and every `evaluate_every_s`. */
  async start(): Promise<void> {
    try {
      for (const [id, s] of await lastStates(this.store)) this.states.set(id, { ...s, value: null, evaluatedAt: null })
    } catch (err) {
      this.log.warn({ err: String(err) }, 'alert states not rebuilt from history; starting from ok')
    }
    this.schedule(0)
  }

  async close(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await this.running
  }

  /** Every rule's state for the API; a rule not evaluated yet is ok. */
  current(rules: AlertRule[]): AlertState[] {
    return rules.map((r) => {
      const s = this.states.get(r.id)
      return {
        rule_id: r.id,
        rule_name: r.name,
        state: s?.status ?? 'ok',
        since: s?.since != null ? new Date(s.since).toISOString() : null,
        value: s?.value ?? null,
        threshold: r.threshold,
        evaluated_at: s?.evaluatedAt != null ? new Date(s.evaluatedAt).toISOString() : null,
      }
    })
  }

  private schedule(ms: number): void {
    if (this.stopped) return
    this.timer = setTimeout(() => {
      this.running = this.round().finally(() => this.schedule(this.config.evaluate_every_s * 1000))
    }, ms)
    this.timer.unref()
  }

  private async round(): Promise<void> {
    let failed: unknown = null
    try {
      const rules = await this.rules()
      // One rule's failure (its query, its event) leaves the others evaluated.
      for (const rule of rules)
        if (!this.stopped) await this.evaluate(rule, wallNowMs()).catch((err: unknown) => (failed = err))
      const ids = new Set(rules.map((r) => r.id))
      for (const id of this.states.keys()) if (!ids.has(id)) this.states.delete(id)
    } catch (err) {
      failed = err
    }
    if (failed && !this.failing) this.log.warn({ err: String(failed) }, 'alert evaluation failed; retried every round')
    if (!failed && this.failing) this.log.info('alert evaluation works again')
    this.failing = failed !== null
  }

  private async evaluate(rule: AlertRule, now: number): Promise<void> {
    const m = await measure(this.store, rule, now)
    const breached = m.value !== null && m.count >= rule.min_attempts && m.value > rule.threshold
    const prev = this.states.get(rule.id) ?? { ...OK, value: null, evaluatedAt: null }
    // Judged per minute of data: `since` is the first whole minute that breached, so for_minutes counts minutes.
    const { next, event } = step(prev, breached, now - (now % 60_000), rule.for_minutes * 60_000)
    if (event) {
      // Recorded before the state moves on: a failed write is tried again next round, so history and state agree.
      await recordEvent(this.store, {
        time: now,
        ruleId: rule.id,
        ruleName: rule.name,
        metric: rule.metric,
        state: event.state,
        value: m.value,
        threshold: rule.threshold,
        since: event.since,
      })
      if (event.notify) this.notify(rule, event.state === 'firing' ? 'firing' : 'resolved', m.value, event.since, now)
    }
    this.states.set(rule.id, { ...next, value: m.value, evaluatedAt: now })
  }

  private notify(rule: AlertRule, state: 'firing' | 'resolved', value: number | null, since: number, at: number) {
    this.notifier.send(rule.notify, {
      type: 'tracegate.alert',
      rule: { id: rule.id, name: rule.name },
      metric: rule.metric,
      scope: rule.scope,
      state,
      value,
      threshold: rule.threshold,
      window_minutes: rule.window_minutes,
      since: new Date(since).toISOString(),
      at: new Date(at).toISOString(),
      url: `${this.explorerUrl().replace(/\/+$/, '')}/alerts?rule=${rule.id}`,
    })
  }
}

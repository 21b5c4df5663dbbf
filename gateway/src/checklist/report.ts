import type { CheckAlias, CheckFacts } from '@tracegate/schemas'
import { FAULT_KINDS } from '../routing/injected-fault.ts'
import { CHAT_PROBES } from './probe-requests.ts'
import { STEPS, type CheckRow, type RowStatus } from './rows.ts'

/** What `--live` will send, and the most it can cost, shown before anything is sent. */
export interface LivePlan {
  requests: number
  worstUsd: number
  unpriced: string[]
}

/** Fallbacks are probed with injected faults when the alias has a fallback and the gateway allows injection. */
export const faultProbed = (a: CheckAlias, facts: CheckFacts) => a.targets.length > 1 && facts.fault_injection

export function livePlan(facts: CheckFacts): LivePlan {
  let requests = 0
  let worstUsd = 0
  for (const a of facts.aliases) {
    const n = (a.embedding ? 1 : CHAT_PROBES.length) + (faultProbed(a, facts) ? FAULT_KINDS.length : 0)
    requests += n
    worstUsd += n * a.probe_usd
  }
  return { requests, worstUsd, unpriced: [...new Set(facts.aliases.flatMap((a) => a.unpriced))] }
}

export function estimateText(plan: LivePlan, facts: CheckFacts, gateway: string): string {
  const unpriced = plan.unpriced.length ? ` Unpriced, counted as $0: ${plan.unpriced.join(', ')}.` : ''
  return (
    `--live sends ${plan.requests} requests through ${gateway} to ${facts.aliases.length} aliases ` +
    `(chat, stream, JSON mode and tools each, or embeddings for embedding models; ` +
    `a 429, 500 and timeout fallback probe per alias with a fallback, whose faulted attempts reach no provider), ` +
    `each capped at ${facts.probe_max_tokens} output tokens: at most $${plan.worstUsd.toFixed(4)} by the gateway's prices.${unpriced}`
  )
}

export function summary(rows: CheckRow[]): Record<RowStatus, number> {
  const out: Record<RowStatus, number> = { pass: 0, fail: 0, manual: 0, skip: 0 }
  for (const r of rows) out[r.status]++
  return out
}

/**
 * Rows under their checklist step, columns two or more spaces apart (a cell never holds two
 * spaces in a row), the trace link last.
 */
export function textReport(rows: CheckRow[], gateway: string): string {
  const width = (f: (r: CheckRow) => string) => Math.max(...rows.map((r) => f(r).length))
  const [wc, ws] = [width((r) => r.check), width((r) => r.subject)]
  const lines = [`tracegate check against ${gateway}`]
  for (const step of Object.keys(STEPS).map(Number)) {
    const mine = rows.filter((r) => r.step === step)
    if (!mine.length) continue
    lines.push('', `${step}. ${STEPS[step]}`)
    for (const r of mine) {
      const cells = [r.status.padEnd(6), r.check.padEnd(wc), r.subject.padEnd(ws), r.detail.replace(/ {2,}/g, ' ')]
      lines.push(`  ${cells.join('  ')}${r.trace_url ? `  ${r.trace_url}` : ''}`)
    }
  }
  const s = summary(rows)
  lines.push('', `${s.pass} pass, ${s.fail} fail, ${s.manual} manual, ${s.skip} skipped`)
  return `${lines.join('\n')}\n`
}

import type { BreakEvenQuery, BreakEvenReport } from '@tracegate/schemas'
import type { Store } from '../storage/client.ts'
import { costReport, textCell } from '../storage/report-queries.ts'

const DAY = 86_400_000
/** An average month: 365.25 days over 12. */
const MONTH_DAYS = 30.4375

const dollars = (n: number) => `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`

/**
 * The break-even report: this period's provider spend (from the spans) as a monthly run rate, what
 * a managed gateway's fee on it would cost against self-hosting's overhead, and which is cheaper.
 * tracegate costs nothing to license, so self-hosting is infrastructure and engineering hours.
 */
export async function breakEven(store: Store, q: BreakEvenQuery, timeoutMs?: number): Promise<BreakEvenReport> {
  const cost = await costReport(store, { from: q.from, to: q.to, group_by: 'provider', format: 'json' }, timeoutMs)
  const days = (q.to.getTime() - q.from.getTime()) / DAY
  const monthly = (cost.totals.cost_usd / days) * MONTH_DAYS
  const fee = monthly * (q.fee_pct / 100)
  const selfHost = q.infra_usd_month + q.eng_hours_month * q.hourly_usd
  const breakEvenSpend = selfHost / (q.fee_pct / 100)
  const verdict = fee >= selfHost ? 'self_host' : 'managed'
  const saving = Math.abs(fee - selfHost)
  const summary =
    verdict === 'self_host'
      ? `At ${dollars(monthly)} a month of provider spend, a ${q.fee_pct}% managed fee (${dollars(fee)}) costs more than self-hosting (${dollars(selfHost)}): self-hosting saves ${dollars(saving)} a month. Break-even: ${dollars(breakEvenSpend)} a month.`
      : `At ${dollars(monthly)} a month of provider spend, a ${q.fee_pct}% managed fee (${dollars(fee)}) costs less than self-hosting (${dollars(selfHost)}): a managed gateway saves ${dollars(saving)} a month, until spend passes ${dollars(breakEvenSpend)} a month.`
  return {
    from: cost.from,
    to: cost.to,
    days,
    spend_usd: cost.totals.cost_usd,
    priced_requests: cost.totals.priced_requests,
    unpriced_requests: cost.totals.unpriced_requests,
    monthly_spend_usd: monthly,
    fee_pct: q.fee_pct,
    managed_fee_usd_month: fee,
    infra_usd_month: q.infra_usd_month,
    eng_hours_month: q.eng_hours_month,
    hourly_usd: q.hourly_usd,
    self_host_usd_month: selfHost,
    break_even_spend_usd_month: breakEvenSpend,
    verdict,
    saving_usd_month: saving,
    summary,
  }
}

/** One header row and one value row; text cells (the summary) quoted as the cost report's are. */
export function breakEvenCsv(r: BreakEvenReport): string {
  const cells = Object.entries(r)
  const cell = (v: unknown) => (typeof v === 'string' ? textCell(v) : String(v))
  return `${cells.map(([k]) => k).join(',')}\n${cells.map(([, v]) => cell(v)).join(',')}\n`
}

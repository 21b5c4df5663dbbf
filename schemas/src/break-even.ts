import { z } from 'zod'
import { PeriodQuerySchema } from './compare.ts'

/**
 * The break-even between a managed gateway's fee and self-hosting, defaults from the market
 * analysis (../shared/context): a 5.5% platform fee (OpenRouter's), and a self-hosted gateway's
 * overhead of $200 infrastructure and 8 engineering hours at $120 a month (its "scaling app").
 */
export const BREAK_EVEN_DEFAULTS = { fee_pct: 5.5, infra_usd_month: 200, eng_hours_month: 8, hourly_usd: 120 }

const money = z.coerce.number().min(0).max(1e9)
export const BreakEvenQuerySchema = PeriodQuerySchema.safeExtend({
  fee_pct: z.coerce.number().gt(0).max(100).default(BREAK_EVEN_DEFAULTS.fee_pct),
  infra_usd_month: money.default(BREAK_EVEN_DEFAULTS.infra_usd_month),
  eng_hours_month: z.coerce.number().min(0).max(10_000).default(BREAK_EVEN_DEFAULTS.eng_hours_month),
  hourly_usd: money.default(BREAK_EVEN_DEFAULTS.hourly_usd),
  format: z.enum(['json', 'csv']).default('json'),
})
export type BreakEvenQuery = z.infer<typeof BreakEvenQuerySchema>

export const BreakEvenReportSchema = z.object({
  from: z.string(),
  to: z.string(),
  days: z.number(),
  /** Provider spend in the period, from the spans; unpriced requests are not in it. */
  spend_usd: z.number(),
  priced_requests: z.number(),
  unpriced_requests: z.number(),
  /** The period's spend over an average month (30.44 days). */
  monthly_spend_usd: z.number(),
  fee_pct: z.number(),
  managed_fee_usd_month: z.number(),
  infra_usd_month: z.number(),
  eng_hours_month: z.number(),
  hourly_usd: z.number(),
  self_host_usd_month: z.number(),
  /** The monthly spend at which the fee equals the self-hosting overhead. */
  break_even_spend_usd_month: z.number(),
  verdict: z.enum(['self_host', 'managed']),
  /** How much a month the cheaper choice saves. */
  saving_usd_month: z.number(),
  summary: z.string(),
})
export type BreakEvenReport = z.infer<typeof BreakEvenReportSchema>

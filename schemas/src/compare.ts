import { z } from 'zod'
import { MissingPricesQuerySchema } from './api.ts'

/**
 * The shadow-traffic comparison: per workflow, alias and primary/shadow target pair, the primary
 * model's answers beside the shadow model's for the same requests (`shadow:` under an alias).
 */

/** The projection's month: the period's rate scaled to 30 days. */
export const COMPARE_MONTH_DAYS = 30

const name = z.string().max(200)
/** `provider/model`, as the report names a target. */
const target = z.string().min(3).max(401).includes('/')

/**
 * A report's period: from, to after it, no unknown parameter. The missing-prices query is exactly
 * that, so the compare and break-even queries extend it (safeExtend keeps its strictness and check).
 */
export const PeriodQuerySchema = MissingPricesQuerySchema

export const CompareQuerySchema = PeriodQuerySchema.safeExtend({
  workflow: name.optional(),
  format: z.enum(['json', 'csv']).default('json'),
})
export type CompareQuery = z.infer<typeof CompareQuerySchema>

/** One side of a pair row: the primary target's answers, or the shadow target's to the same requests. */
export const CompareSideSchema = z.object({
  /** `provider/model`: the target that answered (primary) or was shadowed to. */
  target: z.string(),
  requests: z.number(),
  /** Failed calls; a request the client cancelled is not the model's failure and is not one. */
  errors: z.number(),
  error_rate: z.number(),
  /** Over answered calls: one upstream call each side (the primary's answering attempt, not its retries). */
  latency_p50_ms: z.number().nullable(),
  latency_p95_ms: z.number().nullable(),
  /** Over streamed calls; null when none streamed. */
  ttft_p50_ms: z.number().nullable(),
  ttft_p95_ms: z.number().nullable(),
  input_tokens: z.number(),
  output_tokens: z.number(),
  /** Over the calls that reported usage; null when none did. */
  input_tokens_per_request: z.number().nullable(),
  output_tokens_per_request: z.number().nullable(),
  /** Primary: the billed cost of the sampled requests (all their attempts). Shadow: the shadow calls' own cost. */
  cost_usd: z.number(),
  /** Over priced calls; null when none had a price. */
  cost_per_request_usd: z.number().nullable(),
  /** Calls of a model without a price: not in cost_usd. */
  unpriced_requests: z.number(),
  /**
   * cost_per_request_usd × workflow_requests / days × 30: what the alias's traffic in this
   * workflow would cost a month at this side's price per request. Null without a price.
   */
  projected_monthly_usd: z.number().nullable(),
})
export type CompareSide = z.infer<typeof CompareSideSchema>

/** How far the shadow's answers agree with the primary's, over pairs where both answered. */
export const CompareAgreementSchema = z.object({
  /** Pairs where both sides answered with a comparable output (its hash recorded on both). */
  pairs_compared: z.number(),
  /** Share of compared pairs whose answer text is identical; null when none were compared. */
  exact_match_rate: z.number().nullable(),
  /** Mean of shadow chars / primary chars over compared pairs with a non-empty primary answer. */
  mean_length_ratio: z.number().nullable(),
  /** Compared pairs of requests that asked for JSON output. */
  json_pairs: z.number(),
  json_valid_rate_primary: z.number().nullable(),
  json_valid_rate_shadow: z.number().nullable(),
  /** Compared pairs where either side called a tool. */
  tool_pairs: z.number(),
  /** Share of tool pairs calling the same tool names in the same order; null when none. */
  same_tools_rate: z.number().nullable(),
})
export type CompareAgreement = z.infer<typeof CompareAgreementSchema>

export const CompareRowSchema = z.object({
  workflow: z.string(),
  /** The alias whose `shadow:` sent these requests to the shadow target. */
  alias: z.string(),
  /** Requests of this alias in this workflow in the period, sampled or not: the projection's rate. */
  workflow_requests: z.number(),
  primary: CompareSideSchema,
  shadow: CompareSideSchema,
  agreement: CompareAgreementSchema,
})
export type CompareRow = z.infer<typeof CompareRowSchema>

export const CompareReportSchema = z.object({
  from: z.string(),
  to: z.string(),
  days: z.number(),
  workflow: z.string().nullable(),
  rows: z.array(CompareRowSchema),
  totals: z.object({
    /** Primary/shadow pairs in the period: one per sampled request and shadow target. */
    pairs: z.number(),
    /** What the shadow calls cost: never in budgets, limits or the billed cost. */
    shadow_cost_usd: z.number(),
    /** The billed cost of the requests that were shadowed, each counted once. */
    billed_cost_usd: z.number(),
    sampled_requests: z.number(),
  }),
})
export type CompareReport = z.infer<typeof CompareReportSchema>

/** `GET /api/compare/pairs`: the latest pairs of one row, for the drill-down. */
export const ComparePairsQuerySchema = PeriodQuerySchema.safeExtend({
  workflow: name,
  alias: name.optional(),
  primary: target,
  shadow: target,
  limit: z.coerce.number().int().min(1).max(100).default(20),
})
export type ComparePairsQuery = z.infer<typeof ComparePairsQuerySchema>

/** One side of one pair: the call's outcome and its captured answer. */
export const PairSideSchema = z.object({
  span_id: z.string(),
  status: z.enum(['ok', 'error', 'cancelled']),
  error_type: z.string(),
  http_status: z.number(),
  latency_ms: z.number().nullable(),
  ttft_ms: z.number().nullable(),
  cost_usd: z.number().nullable(),
  /**
   * The answer's text, as agreement compares it ('' when bodies are not captured or the answer only
   * called tools); a body that cannot be read as an answer (an error's) is given as captured.
   */
  output: z.string(),
  output_truncated: z.boolean(),
  output_chars: z.number().nullable(),
  /** null when the request did not ask for JSON. */
  json_valid: z.boolean().nullable(),
  /** Tool names called, in order; empty when none. */
  tools: z.array(z.string()),
})
export type PairSide = z.infer<typeof PairSideSchema>

export const ComparePairSchema = z.object({
  trace_id: z.string(),
  start_time: z.string(),
  /** Same answer text on both sides; null when they could not be compared (a side failed). */
  agreed: z.boolean().nullable(),
  primary: PairSideSchema,
  shadow: PairSideSchema,
})
export type ComparePair = z.infer<typeof ComparePairSchema>

export const ComparePairsResponseSchema = z.object({ pairs: z.array(ComparePairSchema) })
export type ComparePairsResponse = z.infer<typeof ComparePairsResponseSchema>

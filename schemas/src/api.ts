import { z } from 'zod'
import { SpanSchema } from './span.ts'
import { REQUEST_RESULTS } from './results.ts'

/**
 * ClickHouse DateTime64(9) holds 1900-01-01 to 2262-04-11T23:47:16Z. The API takes from the epoch
 * (no span is older) to the start of that last day, so the look-backs it adds on its own (a week at
 * most) and any server time zone stay inside what the column can hold.
 */
const EARLIEST_MS = Date.UTC(1970, 0, 1)
const LATEST_MS = Date.UTC(2262, 3, 11)
const isoDateTime = z.iso.datetime({ offset: true })
const isoDay = z.iso.date()

/** Epoch milliseconds for the forms the API takes; null for anything else (Date.parse alone takes "garbage 1"). */
function instantMs(s: string): number | null {
  if (/^\d{1,15}$/.test(s)) return Number(s)
  return isoDateTime.safeParse(s).success || isoDay.safeParse(s).success ? Date.parse(s) : null
}

/**
 * A point in time on the explorer API: an ISO 8601 date-time with `Z` or an offset, a day
 * (`2026-11-01`, midnight UTC) or epoch milliseconds, within what ClickHouse can store.
 */
export const InstantSchema = z
  .string()
  .max(64)
  .transform((s, ctx) => {
    const ms = instantMs(s)
    if (ms === null) {
      ctx.addIssue({
        code: 'custom',
        message: 'expected an ISO 8601 date-time with Z or an offset, a day (YYYY-MM-DD) or epoch milliseconds',
      })
      return z.NEVER
    }
    if (ms < EARLIEST_MS || ms > LATEST_MS) {
      ctx.addIssue({
        code: 'custom',
        message: 'must lie between 1970-01-01 and 2262-04-11, the range ClickHouse DateTime64(9) holds',
      })
      return z.NEVER
    }
    return new Date(ms)
  })

/** The check every from/to query makes, with the issue it raises on `to`. */
export const toAfterFrom = (q: { from: Date; to: Date }) => q.to > q.from
export const AFTER_FROM = { message: 'to must be after from', path: ['to'] }

export const TraceListQuerySchema = z
  .object({
    from: InstantSchema.optional(),
    to: InstantSchema.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z.string().max(200).optional(),
    provider: z.string().max(200).optional(),
    model: z.string().max(200).optional(),
    team: z.string().max(200).optional(),
    workflow: z.string().max(200).optional(),
    key_name: z.string().max(200).optional(),
    user: z.string().max(200).optional(),
    session_id: z.string().max(200).optional(),
    status: z.enum(['ok', 'error', 'cancelled']).optional(),
    outcome: z.string().max(50).optional(),
    /** What became of the request: ok on the first try, saved by a retry or a fallback, lost, cancelled. */
    result: z.enum(REQUEST_RESULTS).optional(),
    error_type: z.string().max(200).optional(),
    /** Requests that cost at least this many dollars (unpriced ones have no cost and never match). */
    min_cost_usd: z.coerce.number().min(0).max(1e6).optional(),
    /** Requests that took at least this long, end to end. */
    min_duration_ms: z.coerce.number().min(0).max(86_400_000).optional(),
    tag: z.string().max(200).optional(),
    /** `name=value`: requests sent with `x-tracegate-meta-<name>: value`. */
    meta: z
      .string()
      .max(500)
      .regex(/^[a-z0-9_.-]{1,64}=/, 'meta is name=value')
      .optional(),
    /** A trace id, or text found in the model names or the error message. */
    q: z.string().min(1).max(200).optional(),
  })
  .strict()
export type TraceListQuery = z.infer<typeof TraceListQuerySchema>

export const TraceSummarySchema = SpanSchema.pick({
  trace_id: true,
  span_id: true,
  name: true,
  start_time: true,
  duration_ms: true,
  status: true,
  provider: true,
  request_model: true,
  response_model: true,
  operation: true,
  stream: true,
  input_tokens: true,
  output_tokens: true,
  cost_usd: true,
  cost_source: true,
  http_status: true,
  error_type: true,
  workflow: true,
  team: true,
  key_name: true,
  user: true,
}).extend({ attempts: z.number() })
export type TraceSummary = z.infer<typeof TraceSummarySchema>

export const TraceListResponseSchema = z.object({
  traces: z.array(TraceSummarySchema),
  next_cursor: z.string().nullable(),
})
export type TraceListResponse = z.infer<typeof TraceListResponseSchema>

export const TraceIdSchema = z.string().regex(/^[0-9a-f]{32}$/, 'trace id is 32 lowercase hex characters')
/** `GET /api/traces/{traceId}` takes no query parameters; naming one is a mistake worth a 400. */
export const TraceDetailQuerySchema = z.object({}).strict()

export const TraceResponseSchema = z.object({ trace_id: z.string(), spans: z.array(SpanSchema) })
export type TraceResponse = z.infer<typeof TraceResponseSchema>

/** The OpenAI error shape every gateway-raised error uses. */
export const ErrorBodySchema = z.object({
  error: z.object({ message: z.string(), type: z.string(), code: z.string(), param: z.string().nullable().optional() }),
})
export type ErrorBody = z.infer<typeof ErrorBodySchema>

/** Dimensions a cost report can be grouped by, and the rollup column each one reads. */
export const REPORT_DIMENSIONS = {
  team: 'Team',
  key: 'KeyName',
  workflow: 'Workflow',
  model: 'Model',
  provider: 'Provider',
} as const
export type ReportDimension = keyof typeof REPORT_DIMENSIONS

export const CostReportQuerySchema = z
  .object({
    from: InstantSchema,
    to: InstantSchema,
    group_by: z.enum(Object.keys(REPORT_DIMENSIONS) as [ReportDimension, ...ReportDimension[]]).default('team'),
    format: z.enum(['json', 'csv']).default('json'),
  })
  .strict()
  .refine(toAfterFrom, AFTER_FROM)
export type CostReportQuery = z.infer<typeof CostReportQuerySchema>

export const CostReportRowSchema = z.object({
  group: z.string(),
  requests: z.number(),
  errors: z.number(),
  input_tokens: z.number(),
  output_tokens: z.number(),
  cache_read_tokens: z.number(),
  cost_usd: z.number(),
  /**
   * Requests with a cost (priced from the price data, an override, or free), and requests of a model
   * without a price: their spend is missing from cost_usd, not $0. The rest carried no usage (failed).
   */
  priced_requests: z.number(),
  unpriced_requests: z.number(),
  /** Requests whose provider reported a cost itself (xAI, OpenRouter), what it reported, and our cost for the same requests. */
  provider_reported_requests: z.number(),
  provider_cost_usd: z.number(),
  cost_usd_provider_reported: z.number(),
  /** cost_usd_provider_reported − provider_cost_usd: where our prices and the provider's bill disagree. */
  cost_gap_usd: z.number(),
})
export type CostReportRow = z.infer<typeof CostReportRowSchema>

export const CostReportSchema = z.object({
  from: z.string(),
  to: z.string(),
  group_by: z.string(),
  rows: z.array(CostReportRowSchema),
  totals: CostReportRowSchema.omit({ group: true }),
})
export type CostReport = z.infer<typeof CostReportSchema>

/** `GET /api/prices/missing?from&to`: models seen without a price, to add under `prices:` in the config. */
export const MissingPricesQuerySchema = z
  .object({
    from: InstantSchema,
    to: InstantSchema,
  })
  .strict()
  .refine(toAfterFrom, AFTER_FROM)
export type MissingPricesQuery = z.infer<typeof MissingPricesQuerySchema>

export const MissingPriceSchema = z.object({
  provider: z.string(),
  model: z.string(),
  /** Upstream attempts that came back with usage but no price. */
  requests: z.number(),
  input_tokens: z.number(),
  output_tokens: z.number(),
  cache_read_tokens: z.number(),
  /** The key to use under `prices:` in the config. */
  price_key: z.string(),
})
export const MissingPricesResponseSchema = z.object({
  from: z.string(),
  to: z.string(),
  models: z.array(MissingPriceSchema),
})
export type MissingPricesResponse = z.infer<typeof MissingPricesResponseSchema>

/** A spool segment ClickHouse kept refusing, set aside in spool/quarantine (`GET /api/spool/quarantine`). */
export const QuarantinedSegmentSchema = z.object({
  segment: z.string(),
  spans: z.number(),
  attempts: z.number(),
  /** ClickHouse's error type (e.g. CANNOT_PARSE_DATETIME), '' when it gave none. */
  error_code: z.string(),
  error: z.string(),
  quarantined_at: z.string(),
  bytes: z.number(),
})
export type QuarantinedSegment = z.infer<typeof QuarantinedSegmentSchema>

export const QuarantineListSchema = z.object({ segments: z.array(QuarantinedSegmentSchema) })

/** `POST /api/spool/quarantine/retry`: the segments moved back to the spool. */
export const QuarantineRetrySchema = z.object({ requeued: z.array(z.string()) })
